"""Reference tokenizers built with Hugging Face `tokenizers` (independent of our Swift code)."""
import os


def gguf_bpe_vocab(gguf_path):
    """(tokens, token_types, merges, bos, eos, pre) from a GGUF file's tokenizer metadata."""
    import gguf

    r = gguf.GGUFReader(gguf_path)

    def strings(key):
        f = r.fields[key]
        return [bytes(f.parts[i]).decode("utf-8") for i in f.data]

    f = r.fields["tokenizer.ggml.token_type"]
    types = [int(f.parts[i][0]) for i in f.data]
    bos = int(r.fields["tokenizer.ggml.bos_token_id"].parts[-1][0])
    eos = int(r.fields["tokenizer.ggml.eos_token_id"].parts[-1][0])
    pre = bytes(r.fields["tokenizer.ggml.pre"].parts[-1]).decode()
    return strings("tokenizer.ggml.tokens"), types, strings("tokenizer.ggml.merges"), bos, eos, pre


def bpe_tokenizer(tokens, types, merges):
    """Byte-level BPE as llama.cpp's `smollm` pre-tokenizer: digits split, then the GPT-2 pattern;
    control tokens (type 3) are special added tokens."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    tok = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)},
                               merges=[tuple(m.split(" ")) for m in merges]))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False)
                            for t, ty in zip(tokens, types) if ty == 3])
    return tok


def smollm2_tokenizer(gguf_path):
    tokens, types, merges, _, _, _ = gguf_bpe_vocab(gguf_path)
    return bpe_tokenizer(tokens, types, merges)


def minilm_tokenizer(model_dir):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return tok
