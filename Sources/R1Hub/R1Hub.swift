// R1Hub: model references, the Hugging Face cache and Hub download protocol, Ollama's local model store.
