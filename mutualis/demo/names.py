"""Fixed lists of French names the demo draws from, and helpers to keep names unique.

Only fixed lists and the seeded generator decide a name, so the same seed gives the same
people, collèges and streets.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from django.utils.text import slugify

FIRST_NAMES = (
    "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Julie", "Laura", "Marie",
    "Anne", "Sophie", "Nathalie", "Isabelle", "Sandrine", "Céline", "Aurélie", "Émilie",
    "Claire", "Hélène", "Valérie", "Christine", "Catherine", "Sylvie", "Fatima", "Nadia",
    "Amandine", "Pauline", "Élodie", "Mélanie", "Thomas", "Nicolas", "Julien", "Maxime",
    "Alexandre", "Antoine", "Guillaume", "Romain", "Pierre", "Jean", "Philippe", "Laurent",
    "Stéphane", "Olivier", "David", "Christophe", "Frédéric", "Sébastien", "Éric", "Vincent",
    "Mathieu", "Karim", "Mehdi", "Yannick", "François", "Benoît", "Hugo", "Lucas", "Arnaud",
    "Jérôme", "Agnès", "Brigitte", "Dominique", "Florence", "Gaëlle", "Martine", "Patricia",
    "Thierry", "Patrick", "Bruno", "Didier", "Samir", "Yasmina", "Aïcha", "Moussa", "Linh",
)  # fmt: skip

LAST_NAMES = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefèvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand",
    "Duval", "Denis", "Dumont", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier", "Brun",
    "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier",
    "Arnaud", "Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin",
    "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas",
    "Lacroix", "Olivier", "Bourgeois", "Benoît", "Rey", "Leclerc", "Rolland", "Guillaume",
    "Lecomte", "Lopez", "Dupuy", "Guillot", "Hubert", "Berger", "Carpentier", "Sanchez",
    "Dupuis", "Moulin", "Deschamps", "Huet", "Vasseur", "Perez", "Boucher", "Fleury",
    "Royer", "Klein", "Jacquet", "Adam", "Poirier", "Marty", "Aubry", "Guyot", "Carré",
    "Renault", "Charpentier", "Ménard", "Maillard", "Baron", "Bertin", "Bailly", "Hervé",
    "Schneider", "Fernandez", "Le Gall", "Collet", "Léger", "Bouvier", "Prévost", "Millet",
    "Perrot", "Le Roux", "Cousin", "Germain", "Breton", "Besson", "Langlois", "Pelletier",
    "Lebrun", "Weber", "Hamon", "Boulanger", "Monnier", "Michaud", "Tessier", "Chauvin",
    "Da Silva", "Nguyen", "Benali", "Haddad", "Diallo", "Traoré", "Bouaziz", "Kaya",
)  # fmt: skip

# Namesakes of collèges, the most common in France (the Éducation nationale's directory).
COLLEGE_NAMES = (
    "Jean Moulin", "Jules Ferry", "Victor Hugo", "Louis Pasteur", "Jean Jaurès", "Albert Camus",
    "Marie Curie", "Jacques Prévert", "Paul Éluard", "Jean Monnet", "Anne Frank", "Simone Veil",
    "Georges Brassens", "Jean de La Fontaine", "Antoine de Saint-Exupéry", "Molière",
    "Jean Racine", "Claude Debussy", "Pierre de Ronsard", "Romain Rolland", "Henri Matisse",
    "Paul Cézanne", "Claude Monet", "Auguste Renoir", "Jean Zay", "Lucie Aubrac",
    "Germaine Tillion", "Condorcet", "Voltaire", "Rabelais", "Joliot-Curie", "Gustave Courbet",
    "Guy de Maupassant", "Léonard de Vinci", "Galilée", "Blaise Pascal", "René Descartes",
    "Louis Lumière", "Marcel Pagnol", "Alexandre Dumas", "Arthur Rimbaud", "Paul Verlaine",
    "Charles Péguy", "Camille Claudel", "Olympe de Gouges", "Rosa Parks", "Nelson Mandela",
    "Martin Luther King", "Les Tilleuls", "Les Châtaigniers", "La Vallée", "Les Saules",
    "Pierre Mendès France", "Charles de Gaulle", "Jean Mermoz", "Pablo Picasso", "Hector Berlioz",
    "Maurice Ravel", "Frédéric Chopin", "Gérard Philipe", "Françoise Dolto", "Madame de Sévigné",
    "Émile Zola", "George Sand", "Jules Verne", "André Malraux", "Henri Wallon", "Paul Langevin",
    "Louise Michel", "Le Bois d’Aulne", "La Mare aux Saules", "Les Hauts-Grillets",
)  # fmt: skip

SCHOOL_NAMESAKES = (
    "Jules Ferry", "Pasteur", "Les Lilas", "Les Prés", "Le Bourg", "Paul Bert", "Jean Macé",
    "La Source", "Les Coquelicots", "Les Marronniers", "Jacques Prévert", "Charles Perrault",
    "Le Petit Prince", "Les Érables", "Marie Curie", "Victor Hugo", "Jean de La Fontaine",
    "Les Glycines", "Les Cerisiers", "Anatole France", "Alphonse Daudet", "Ferdinand Buisson",
    "Condorcet", "Jean Jaurès", "Les Peupliers", "Les Tournelles", "Le Moulin", "Les Hirondelles",
    "Pauline Kergomard", "Louise Michel", "Saint-Exupéry", "Les Trois Fontaines",
)  # fmt: skip
SCHOOL_KINDS = ("École élémentaire", "École maternelle", "Groupe scolaire")

RESIDENCE_NAMES = (
    "Les Tilleuls", "Les Glycines", "Les Jardins d’Automne", "La Roseraie", "Les Lilas", "Le Parc",
    "Les Marronniers", "Les Cèdres", "La Source", "Les Tamaris", "Les Hortensias", "Les Magnolias",
    "Le Belvédère", "Les Pins", "Les Saules", "Les Acacias", "Résidence du Château", "Les Cytises",
    "Les Camélias", "La Chênaie", "Le Val Fleuri", "Les Orchidées", "Les Amandiers", "L’Orangerie",
    "Les Sorbiers", "Les Bruyères", "Le Moulin", "Les Vergers", "La Closerie", "Les Iris",
)  # fmt: skip

MEDIATHEQUE_NAMESAKES = (
    "Jacques Prévert", "Marguerite Duras", "Elsa Triolet", "Simone de Beauvoir", "André Malraux",
    "Boris Vian", "Jules Verne", "Colette", "Victor Hugo", "Albert Camus", "Aimé Césaire",
    "Louise Michel", "Jean d’Ormesson", "La Passerelle", "L’Astrolabe", "Les Quatre Vents",
)  # fmt: skip

STREETS = (
    "rue de la République", "avenue du Général-de-Gaulle", "rue Victor-Hugo", "rue Jean-Jaurès",
    "place de l’Église", "rue de Paris", "boulevard de la Paix", "rue des Écoles", "rue Pasteur",
    "avenue de la Gare", "rue du Moulin", "chemin des Vignes", "rue Gambetta", "avenue Foch",
    "rue du Maréchal-Leclerc", "allée des Tilleuls", "rue des Lilas", "rue du Château",
    "rue de Versailles", "avenue Jean-Moulin", "rue Émile-Zola", "rue Anatole-France",
    "rue Carnot", "rue Voltaire", "rue de la Libération", "avenue du 8-Mai-1945",
    "rue du 11-Novembre", "place du Marché", "rue des Frères-Lumière", "rue Pierre-Brossolette",
    "rue Saint-Martin", "rue de la Fontaine", "rue des Prés", "avenue des Sports",
    "rue de l’Industrie", "rue Henri-Barbusse", "rue Gabriel-Péri", "rue du Stade",
)  # fmt: skip


def unique_name(rng: random.Random, candidates: Sequence[str], used: set[str]) -> str:
    """A candidate not in `used` (then remembered there); numbered once all are taken."""
    free = [c for c in candidates if c not in used]
    if free:
        name = rng.choice(free)
    else:
        base = rng.choice(candidates)
        number = 2
        while f"{base} {number}" in used:
            number += 1
        name = f"{base} {number}"
    used.add(name)
    return name


def address(rng: random.Random) -> str:
    return f"{rng.randint(1, 120)} {rng.choice(STREETS)}"


def email_part(text: str) -> str:
    """`Le Gall` -> `le-gall`, `Éric` -> `eric`: what an address can hold."""
    return slugify(text) or "x"


def phone(rng: random.Random, departement: str) -> str:
    # Landline numbers of the two départements start with 01 and these prefixes.
    prefix = rng.choice(("30", "34", "39") if departement == "78" else ("40", "41", "46", "47"))
    return f"01 {prefix} " + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(3))


class People:
    """Draws French full names and gives each person an email address used only once."""

    def __init__(self, rng: random.Random, reserved: set[str]) -> None:
        self.rng = rng
        self.used = set(reserved)

    def full_name(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def email(self, full_name: str, domain: str) -> str:
        first, _sep, last = full_name.partition(" ")
        local = f"{email_part(first)}.{email_part(last)}"
        candidate = f"{local}@{domain}"
        number = 2
        while candidate in self.used:
            candidate = f"{local}{number}@{domain}"
            number += 1
        self.used.add(candidate)
        return candidate
