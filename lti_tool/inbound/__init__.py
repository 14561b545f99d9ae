"""Replies by e-mail: signed reply addresses, the SMTP receiver, and the handlers features register.

Base layer: it knows no feature. A feature signs a reply address for a person and a place
(:func:`addresses.reply_address`) and registers, from its ``init_app``, the handler that turns a
verified reply into its own record (:func:`service.register_handler`). The receiver (``receiver.py``)
refuses unsigned, tampered or expired addresses during the SMTP conversation, strips quoted text
(``quotes.py``) and hands the new words to the handler named in the address.
"""
