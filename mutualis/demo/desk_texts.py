"""What people write on demo tickets: replies, questions, internal notes, by moment of the
ticket's life and, where it matters, by category of the catalogue (desk_specs.CATEGORIES)."""

from __future__ import annotations

import random

GENERIC: dict[str, tuple[str, ...]] = {
    "take": (
        "Bonjour, je prends en charge votre demande et reviens vers vous rapidement.",
        "Bonjour, votre demande est prise en charge. Je vous tiens informé(e) de l’avancement.",
        "Bonjour, demande bien reçue, j’interviens dans la journée.",
    ),
    "question": (
        "Bonjour, pouvez-vous nous préciser depuis quand le problème se produit et s’il touche d’autres équipements ?",
        "Pourriez-vous nous indiquer un créneau où une personne sera présente pour nous ouvrir ?",
        "Pouvez-vous nous envoyer une photo de l’équipement et du message affiché ?",
        "Pouvez-vous vérifier que l’équipement est bien branché et nous dire quels voyants sont allumés ?",
    ),
    "answer": (
        "Bonjour, le problème a commencé lundi matin. Le gardien sera présent de 8 h à 12 h toute la semaine.",
        "Voici les informations demandées. Nous sommes joignables au secrétariat tous les matins.",
        "C’est bien branché, le voyant est orange fixe. Photo envoyée par courriel.",
        "Merci pour votre retour. Le problème touche seulement cet équipement.",
    ),
    "diagnosis": (
        "Diagnostic à distance effectué : redémarrage sans effet, intervention sur site nécessaire.",
        "Contrôle de la supervision : équipement injoignable depuis 6 h 40.",
        "Vérification de la garantie : équipement encore sous garantie constructeur.",
        "Historique consulté : deuxième incident sur cet équipement cette année.",
    ),
    "third": (
        "Ticket ouvert chez le fournisseur, en attente de son intervention.",
        "Pièce commandée sur le marché de maintenance, livraison annoncée sous dix jours.",
        "Retour constructeur (RMA) ouvert, équipement expédié pour réparation.",
    ),
    "back": (
        "La pièce est arrivée, l’intervention est programmée cette semaine.",
        "Le fournisseur est intervenu ; nous vérifions que tout fonctionne.",
    ),
    "resolution": (
        "L’intervention est terminée et l’équipement fonctionne de nouveau. N’hésitez pas à répondre si le problème revient.",
        "Problème résolu. Nous clôturerons la demande dans quinze jours sans retour de votre part.",
        "C’est réparé. Merci pour votre patience.",
    ),
    "unanswered": (
        "Sans retour de votre part, nous considérons la demande comme résolue. Répondez à ce message si le problème persiste.",
    ),
    "reopen": (
        "Bonjour, le problème est revenu ce matin, pouvez-vous repasser ?",
        "Le problème n’est pas réglé, le même message s’affiche toujours.",
    ),
    "cancel": (
        "Finalement le problème s’est résolu de lui-même, désolé pour le dérangement.",
        "Demande faite en double par erreur, merci de l’annuler.",
        "Nous avons trouvé la cause : le câble était débranché. Merci !",
    ),
    "phone": (
        "Appel reçu au centre de services, déclaration saisie pendant l’appel.",
        "Déclaration prise par téléphone ; la personne rappellera si besoin de précisions.",
    ),
    "follow_up": (
        "Point d’étape : l’intervention est toujours prévue, nous vous tenons au courant.",
        "Nous avons relancé le fournisseur ce matin.",
        "Le technicien passera en fin de semaine.",
    ),
    "nudge": (
        "Bonjour, avez-vous des nouvelles ? Merci.",
        "Merci pour le suivi, nous restons disponibles.",
        "Pouvez-vous nous dire quand le technicien passera ?",
    ),
}

# Category code -> texts that replace the generic ones at that moment of the ticket.
BY_CATEGORY: dict[str, dict[str, tuple[str, ...]]] = {
    "tablette": {
        "diagnosis": (
            "Tablette contrôlée dans la console de gestion de flotte : dernière synchronisation il y a 12 jours.",
            "Écran à remplacer, tablette hors garantie casse : devis à prévoir pour le collège.",
        ),
        "third": (
            "Tablette envoyée au réparateur du marché, retour sous dix jours ouvrés.",
            "Échange standard demandé au constructeur (RMA).",
        ),
        "resolution": (
            "La tablette a été réparée et remise au référent numérique de l’établissement.",
            "Une tablette de remplacement a été attribuée et enrôlée ; l’ancienne part en réparation.",
            "Tablette débloquée et réinitialisée à distance, elle est de nouveau utilisable.",
        ),
    },
    "vpi": {
        "resolution": (
            "Lampe remplacée et filtre nettoyé, l’image est de nouveau nette.",
            "Carte d’interactivité remplacée et calibrage refait avec l’enseignant.",
        ),
    },
    "reseau": {
        "third": (
            "Incident ouvert chez l’opérateur de télécommunications, délai de rétablissement annoncé : 48 h.",
        ),
        "resolution": (
            "Le lien a été rétabli par l’opérateur ; la connexion est de nouveau stable.",
            "Borne Wi-Fi remplacée et reconfigurée.",
            "Port du commutateur réactivé, la prise fonctionne.",
        ),
    },
    "video": {
        "diagnosis": (
            "Caméra injoignable depuis le superviseur ; ping sans réponse, alimentation PoE à vérifier.",
        ),
        "resolution": (
            "Caméra redémarrée et réorientée, l’image est de nouveau disponible au PCSU.",
            "Extraction réalisée et remise sur support chiffré à l’officier de police judiciaire.",
            "Disque de l’enregistreur remplacé, enregistrement vérifié sur 24 heures.",
        ),
    },
    "alarme": {
        "diagnosis": ("Levée de doute effectuée par la patrouille : aucune intrusion constatée.",),
        "resolution": (
            "Batterie de la centrale remplacée, transmission au PCSU de nouveau opérationnelle.",
            "Détecteur déplacé et sensibilité réglée ; plus de déclenchement depuis.",
        ),
    },
    "telephonie": {
        "third": ("Dérangement signalé à l’opérateur, intervention prévue sous 48 heures.",),
        "resolution": (
            "La ligne est rétablie, appel de test concluant.",
            "Renvoi et message d’accueil mis à jour.",
        ),
    },
    "comptes": {
        "resolution": (
            "Compte débloqué, un mot de passe provisoire a été communiqué par SMS.",
            "Les comptes ont été créés ; les identifiants ont été remis à la personne.",
        ),
    },
    "pedagogie": {
        "resolution": ("Le service est rétabli, les élèves peuvent de nouveau se connecter.",),
    },
    "cyber": {
        "diagnosis": (
            "Message analysé : hameçonnage confirmé, expéditeur bloqué sur la passerelle de messagerie.",
            "Mot de passe réinitialisé par précaution, sessions fermées.",
        ),
        "resolution": (
            "Le courriel a été retiré des boîtes concernées et l’expéditeur bloqué. Restez vigilants.",
        ),
    },
    "irve": {
        "third": ("Intervention du constructeur demandée sur la borne (contrat de maintenance).",),
        "resolution": (
            "Borne redémarrée à distance et carte de charge remplacée, charge de test réussie.",
            "Câble remplacé, la borne est remise en service.",
        ),
    },
    "telemedecine": {
        "resolution": (
            "La cabine est de nouveau opérationnelle, consultation de test réalisée avec le médecin.",
        ),
    },
    "audiovisuel": {
        "resolution": ("Micro HF remplacé et niveaux réglés, la salle est prête pour le prochain cours.",),
    },
}


def say(rng: random.Random, moment: str, category: str) -> str:
    """A text for `moment` of a ticket in `category`, the category's own when it has one."""
    return rng.choice(BY_CATEGORY.get(category, {}).get(moment) or GENERIC[moment])
