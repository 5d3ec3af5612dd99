"""Parent equipment named by inventory tag: in the file or recorded, same member, no cycle.

The same rules as `Asset.clean()` (a part and its parent belong to one member; equipment
is never part of itself), checked for a whole file at once: a parent may be on a later
line, and the file may change recorded parents, so a cycle can run through rows of the
file and equipment already recorded.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from mutualis.registry.models import Asset, Operator

from .asset_rows import AssetChecker, AssetDraft
from .lookups import in_chunks


class RecordedTree:
    """Recorded equipment the file names, and all their recorded ancestors:
    id -> (tag, parent id, site id)."""

    def __init__(self, operator: Operator, known: dict[str, Asset]) -> None:
        self.nodes: dict[int, tuple[str, int | None, int]] = {
            a.pk: (a.inventory_tag, a.parent_id, a.site_id) for a in known.values()
        }
        self.ids: dict[str, int] = {a.inventory_tag: a.pk for a in known.values()}
        missing = {parent for _t, parent, _s in self.nodes.values() if parent and parent not in self.nodes}
        # One round per generation of ancestors: equipment trees are a few levels deep.
        while missing:
            for chunk in in_chunks(sorted(missing)):
                for pk, tag, parent, site in Asset.objects.filter(
                    operator=operator, pk__in=chunk
                ).values_list("pk", "inventory_tag", "parent_id", "site_id"):
                    self.nodes[pk] = (tag, parent, site)
                    self.ids[tag] = pk
            missing = {p for _t, p, _s in self.nodes.values() if p and p not in self.nodes}

    def parent_tag(self, tag: str) -> str | None:
        pk = self.ids.get(tag)
        parent = self.nodes[pk][1] if pk is not None else None
        return self.nodes[parent][0] if parent is not None and parent in self.nodes else None


def check_parents(drafts: list[AssetDraft], checker: AssetChecker, file_tags: set[str]) -> None:
    """Check each draft's parent tag; report unknown parents, other members and cycles.

    `file_tags` holds the tags of every row: a parent on a row whose site could not be
    found (reported there) is not reported a second time as unknown."""
    tree = RecordedTree(checker.operator, checker.existing)
    in_file = {d.tag: d for d in drafts if d.tag}
    for draft in drafts:
        if draft.parent_tag is None:
            _check_kept_parent(draft, checker, tree)
        if not draft.parent_tag:
            continue
        row = draft.row
        if draft.parent_tag == draft.tag:
            row.fail("parent_tag", _("Equipment cannot be part of itself."))
            continue
        parent_draft = in_file.get(draft.parent_tag)
        recorded = checker.existing.get(draft.parent_tag)
        if parent_draft is not None:
            parent_member = parent_draft.site.member_id
        elif recorded is not None:
            parent_member = checker.sites[recorded.site_id].member_id
        elif draft.parent_tag in file_tags:
            continue
        else:
            row.fail(
                "parent_tag",
                _("No equipment has the inventory tag “%(tag)s”, in this file or in Mutualis.")
                % {"tag": draft.parent_tag},
            )
            continue
        if parent_member != draft.site.member_id:
            row.fail(
                "parent_tag",
                _("%(tag)s belongs to %(member)s: equipment and its parent must belong to the same member.")
                % {"tag": draft.parent_tag, "member": checker.members.by_id[parent_member]},
            )
    _check_kept_children(drafts, checker, in_file)
    _check_cycles(drafts, tree)


def _check_kept_parent(draft: AssetDraft, checker: AssetChecker, tree: RecordedTree) -> None:
    """Without a parent column, recorded equipment keeps its parent: moving it to another
    member's site would split it from its parent."""
    parent_id = draft.existing.parent_id if draft.existing is not None else None
    if parent_id is None or parent_id not in tree.nodes:
        return
    parent_tag, _grandparent, parent_site = tree.nodes[parent_id]
    parent_member = checker.sites[parent_site].member_id
    if parent_member != draft.site.member_id:
        draft.row.fail(
            "site_id" if draft.row.values.get("site_id") else "site",
            _(
                "This equipment is part of %(tag)s, which belongs to %(member)s: keep it at a site of that "
                "member, or add a parent_tag column (empty to detach it)."
            )
            % {"tag": parent_tag, "member": checker.members.by_id[parent_member]},
        )


def _check_kept_children(
    drafts: list[AssetDraft], checker: AssetChecker, in_file: dict[str, AssetDraft]
) -> None:
    """Recorded equipment moved to another member's site would leave its recorded parts,
    which the file does not name, pointing at a parent of another member."""
    moved = {d.existing.pk: d for d in drafts if d.existing is not None}
    strays: dict[int, list[str]] = {}
    for chunk in in_chunks(sorted(moved)):
        for parent_id, tag, member_id in (
            Asset.objects.filter(operator=checker.operator, parent_id__in=chunk)
            .order_by("inventory_tag")
            .values_list("parent_id", "inventory_tag", "site__member_id")
        ):
            if tag not in in_file and member_id != moved[parent_id].site.member_id:
                strays.setdefault(parent_id, []).append(tag)
    for parent_id, tags in strays.items():
        draft = moved[parent_id]
        draft.row.fail(
            "site_id" if draft.row.values.get("site_id") else "site",
            _(
                "Parts of this equipment (%(tags)s) would stay at sites of another member: add them to "
                "the file with a parent_tag column (this equipment's tag to move them too, empty to "
                "detach them)."
            )
            % {"tags": ", ".join(tags[:5]) + (", …" if len(tags) > 5 else "")},
        )


def _check_cycles(drafts: list[AssetDraft], tree: RecordedTree) -> None:
    in_file = {d.tag: d for d in drafts if d.tag}

    def parent_of(tag: str) -> str | None:
        draft = in_file.get(tag)
        if draft is not None and draft.parent_tag is not None:
            # Equipment named as its own parent is reported already: not a cycle to report again.
            return draft.parent_tag if draft.parent_tag != tag else None
        return tree.parent_tag(tag)

    settled: set[str] = set()
    for draft in drafts:
        if not draft.tag:
            continue
        path: list[str] = []
        node: str | None = draft.tag
        while node is not None and node not in settled:
            if node in path:
                cycle = [*path[path.index(node) :], node]
                for tag in cycle[:-1]:
                    looped = in_file.get(tag)
                    if looped is not None and looped.parent_tag:
                        looped.row.fail(
                            "parent_tag",
                            _("Equipment %(tag)s would be part of itself: %(cycle)s.")
                            % {
                                "tag": tag,
                                "cycle": " → ".join(
                                    cycle[cycle.index(tag) :] + cycle[1 : cycle.index(tag) + 1]
                                ),
                            },
                        )
                break
            path.append(node)
            node = parent_of(node)
        settled.update(path)
