"""Masks: how personal data reads where it is not shown in full (138****5678, 520***********1234,
张**). None and the empty string stay as they are."""


def mask_phone(phone):
    if not phone:
        return phone
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def mask_id(number):
    """An ID number (身份证号) keeps its first three and last four characters."""
    if not number:
        return number
    return number[:3] + "*" * (len(number) - 7) + number[-4:] if len(number) > 8 else "****"


def mask_name(name):
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"
