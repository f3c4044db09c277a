"""Nodes of the grid named in a URL ("community:3"): what a user may open, their top node, their children.

A node is open to a user only when everything under it is theirs — a street to those who see everything or are
assigned to it, a community to those assigned to it or its street, a grid or building through `visible_to` — so
a page about a node never shows a figure the user could not see row by row. Anything else is a 404.
"""

from django.db.models.functions import Length
from django.http import Http404

from .models import Building, Community, Grid, StaffAssignment, Street

KINDS = {"street": Street, "community": Community, "grid": Grid, "building": Building}
# From a household (or any row with a `building`) up to each kind of node.
HOUSEHOLD_PATHS = {
    Street: "building__grid__community__street",
    Community: "building__grid__community",
    Grid: "building__grid",
    Building: "building",
}
# From a grid up to each kind of node (a building narrows the grids to its own).
GRID_PATHS = {Street: "community__street", Community: "community", Grid: "pk"}
CHILDREN = {Street: Community, Community: Grid, Grid: Building}


def node_key(node):
    return f"{node._meta.model_name}:{node.pk}"


def _may_open(user, node):
    if not user.is_authenticated or not user.is_active:
        return False
    if user.sees_everything:
        return True
    mine = StaffAssignment.objects.filter(user=user)
    if isinstance(node, Street):
        return mine.filter(street=node).exists()
    if isinstance(node, Community):
        return mine.filter(community=node).exists() or mine.filter(street=node.street_id).exists()
    if isinstance(node, Grid):
        return Grid.objects.visible_to(user).filter(pk=node.pk).exists()
    return Building.objects.visible_to(user).filter(pk=node.pk).exists()


def access_node(user, key, *, kinds=tuple(KINDS)):
    """The node named by `key` ("grid:7") if it is one of `kinds` and wholly the user's; otherwise Http404."""
    kind, _sep, pk = str(key or "").partition(":")
    if kind not in kinds:
        raise Http404
    try:
        node = KINDS[kind].objects.get(pk=int(pk))
    except (ValueError, KINDS[kind].DoesNotExist):
        raise Http404 from None
    if not _may_open(user, node):
        raise Http404
    return node


def top_node(user):
    """The highest node wholly the user's: the street for those who see everything (the first, if several),
    else the street, community or grid they are assigned to (the first by name); None without any."""
    if user.sees_everything:
        return Street.objects.order_by("name").first()
    assignments = list(StaffAssignment.objects.filter(user=user).select_related("street", "community", "grid"))
    for field in ("street", "community", "grid"):
        nodes = sorted((getattr(a, field) for a in assignments if getattr(a, f"{field}_id")), key=str)
        if nodes:
            return nodes[0]
    return None


def path_of(node):
    """The nodes from the street down to `node` (two queries at most)."""
    if isinstance(node, Street):
        return [node]
    if isinstance(node, Community):
        return [node.street, node]
    if isinstance(node, Grid):
        community = Community.objects.select_related("street").get(pk=node.community_id)
        return [community.street, community, node]
    grid = Grid.objects.select_related("community__street").get(pk=node.grid_id)
    return [grid.community.street, grid.community, grid, node]


def grids_under(node, user):
    """The grids under `node` that the user may see (a building: its grid)."""
    grids = Grid.objects.visible_to(user)
    if isinstance(node, Building):
        return grids.filter(pk=node.grid_id)
    return grids.filter(**{GRID_PATHS[type(node)]: node.pk})


def children_of(node):
    """The nodes one level below `node`, in order (communities, grids, buildings), or [] below the grid."""
    child = CHILDREN.get(type(node))
    if child is None:
        return []
    if child is Community:
        return list(node.communities.order_by("name"))
    if child is Grid:
        return list(node.grids.order_by("name"))
    return list(node.buildings.order_by(Length("number"), "number"))


def child_path(node, prefix=""):
    """The lookup from a household (at `prefix`, e.g. "household__") to the child nodes of `node`."""
    child = CHILDREN.get(type(node))
    return prefix + HOUSEHOLD_PATHS[child] if child else None


def households_path(node, prefix=""):
    """The lookup from a household (at `prefix`) to `node` itself."""
    return prefix + HOUSEHOLD_PATHS[type(node)]
