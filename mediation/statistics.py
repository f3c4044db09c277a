"""The mediation room's figures: the monthly return by dispute type, by month and by grid."""


def statistics_context(request):
    """What `/mediation/` shows above (or, for those who see counts only, instead of) the list of disputes."""
    return {}
