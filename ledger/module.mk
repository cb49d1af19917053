# ledger/: LMDB storage, Merkle tree, checkpoints, receipts, verification.
LIB_SRCS += ledger/ledger_merkle.c ledger/ledger_note.c ledger/ledger.c \
	ledger/ledger_verify.c ledger/ledger_receipt.c ledger/ledger_tiles.c
