"""Literature corpus: ingest, chunking, embeddings, FAISS + BM25 index, default corpus."""
