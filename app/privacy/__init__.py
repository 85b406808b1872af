"""Personal data (个人信息, PIPL): encrypted at rest, found by a blind index, masked by default,
shown in full only on request, and every such request recorded."""

from app.privacy.crypto import Encrypted, blind_index, blind_indexes, decrypt, encrypt
from app.privacy.masks import mask_id, mask_name, mask_phone
from app.privacy.services import register, unmask

__all__ = [
    "Encrypted",
    "blind_index",
    "blind_indexes",
    "decrypt",
    "encrypt",
    "mask_id",
    "mask_name",
    "mask_phone",
    "register",
    "unmask",
]
