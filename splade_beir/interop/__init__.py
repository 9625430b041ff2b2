"""interop/: SPLADE vectors in and out of real retrieval engines.

Vectors leave as pyserini/Anserini's ``JsonVectorCollection`` (one JSON object per line,
``{"id", "contents", "vector": {token: impact}}``) plus the query files Anserini and pyserini read,
and come back in through the same readers, so that pre-encoded vectors (pyserini's downloads, another
toolkit's output, this toolkit's exports) are evaluated with the exact search. ``engines/`` runs real
engines (PISA through pyterrier-pisa) on the same files, to check them against the exact search::

    quantize.py   float weights -> integer impacts (NAVER's x100, pyserini's x256/5) or lossless floats
    jsonvector.py write and read JsonVectorCollection / TSV query files (SparseVectors)
    layout.py     the folder an export writes and an import finds, and its manifest (export.json)
    exporter.py   a result's cached vectors -> an export folder (``python -m splade_beir.export``)
    compare.py    an engine's top-k against the exact top-k, equal but for ties
    engines/      real engines: pisa.py (PISA through pyterrier-pisa), crosscheck.py (index an export, compare)

The reading side is :mod:`splade_beir.retrievers.vectors` (the model kind ``vectors``).
"""
