#!/usr/bin/env python3
"""Independent reference of OpenAI CLIP's simple_tokenizer, used to generate the expected ids
pasted into tests/StreamDiffusion.Pipeline.Tests/Tokenization/*.cs.

It re-implements openai/CLIP clip/simple_tokenizer.py from its description (bytes_to_unicode,
the CLIP pre-tokenizer regex with IGNORECASE, BPE by merge rank with the </w> suffix,
whitespace clean, lower-casing) and reads the original merge list
(../shared/data/clip/bpe_simple_vocab_16e6.txt.gz) the way CLIP does, so it does not share the
Hugging Face vocab.json / merges.txt files the C# tokenizer reads.

Text cleaning: CLIP runs ftfy.fix_text (not installed here) and then html.unescape twice.
Only ftfy's NFC normalization is reproduced (the Hugging Face fast CLIP tokenizer does NFC too);
ftfy's heuristic repairs (mojibake, curly quotes, ligatures, full-width forms) are not.

Usage:
  python3 tests/tools/clip_reference.py "a photo of a cat" ...      # ids with BOS/EOS, one line each
  python3 tests/tools/clip_reference.py --csharp                   # C# constants for the test cases
  python3 tests/tools/clip_reference.py --check                    # checks the known ids in data/README.md
  python3 tests/tools/clip_reference.py --nfc-table > src/Pipeline/Models/Tokenization/ClipNfcData.cs
"""
import gzip
import html
import json
import os
import sys
import unicodedata

import regex

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data", "clip"))
BPE_PATH = os.path.join(DATA, "bpe_simple_vocab_16e6.txt.gz")

CLIP_PATTERN = (r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|"""
                r"""[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""")


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character table, in CLIP's order."""
    printable = (list(range(ord("!"), ord("~") + 1))
                 + list(range(ord("\u00a1"), ord("\u00ac") + 1))
                 + list(range(ord("\u00ae"), ord("\u00ff") + 1)))
    byte_values = printable[:]
    code_points = printable[:]
    extra = 0
    for b in range(256):
        if b not in byte_values:
            byte_values.append(b)
            code_points.append(256 + extra)
            extra += 1
    return dict(zip(byte_values, [chr(c) for c in code_points]))


def word_pairs(word):
    return {(word[i], word[i + 1]) for i in range(len(word) - 1)}


class ClipReference:
    def __init__(self, bpe_path=BPE_PATH):
        self.byte_encoder = bytes_to_unicode()
        lines = gzip.open(bpe_path).read().decode("utf-8").split("\n")
        # Same slice as CLIP: skip the '#version' header, keep 49152 - 256 - 2 merges.
        merges = [tuple(line.split()) for line in lines[1:49152 - 256 - 2 + 1]]
        vocab = list(self.byte_encoder.values())
        vocab = vocab + [v + "</w>" for v in vocab]
        vocab += ["".join(m) for m in merges]
        vocab += ["<|startoftext|>", "<|endoftext|>"]
        self.encoder = {tok: i for i, tok in enumerate(vocab)}
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.cache = {"<|startoftext|>": "<|startoftext|>", "<|endoftext|>": "<|endoftext|>"}
        self.pattern = regex.compile(CLIP_PATTERN, regex.IGNORECASE)
        self.bos = self.encoder["<|startoftext|>"]
        self.eos = self.encoder["<|endoftext|>"]

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = word_pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            first, second = best
            merged = []
            i = 0
            while i < len(word):
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = tuple(merged)
            if len(word) == 1:
                break
            pairs = word_pairs(word)
        result = " ".join(word)
        self.cache[token] = result
        return result

    @staticmethod
    def clean(text):
        text = unicodedata.normalize("NFC", text)  # ftfy.fix_text's final step
        text = html.unescape(html.unescape(text))
        text = text.strip()  # str.strip: str.isspace, which also covers U+001C..U+001F
        # CLIP imports `regex as re`: \s is the Unicode White_Space property here.
        text = regex.sub(r"\s+", " ", text).strip()
        return text.lower()

    def encode(self, text):
        ids = []
        for token in self.pattern.findall(self.clean(text)):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(token).split(" "))
        return ids

    def tokenize(self, text, context_length=77):
        """clip.tokenize(text, truncate=True) before zero padding, plus the truncation flag."""
        ids = [self.bos] + self.encode(text) + [self.eos]
        truncated = len(ids) > context_length
        if truncated:
            ids = ids[:context_length]
            ids[-1] = self.eos
        return ids, truncated


KNOWN = {
    "a photo of an astronaut riding a horse on mars":
        "49406 320 1125 539 550 18376 6765 320 4558 525 7496 49407",
    "a photo of a cat": "49406 320 1125 539 320 2368 49407",
}

# Cases for the C# tests: (C# identifier, text). Text is given with Python escapes.
CASES = [
    ("Resolution", "1024x768"),
    ("Year", "in 2024"),
    ("Contractions", "it's don't you'll we're I'VE they'd I'm"),
    ("UpperContractions", "IT'S WE'LL"),
    ("LongSContraction", "it'\u017f"),
    ("PunctuationRuns", "wow!!! wait... really?!"),
    ("Underscores", "snake_case_name"),
    ("Accents", "caf\u00e9 na\u00efve r\u00e9sum\u00e9"),
    ("DecomposedAccents", "cafe\u0301"),
    ("DecomposedVietnamese", "tie\u0301\u0302ng vie\u0302\u0323t"),
    ("HangulJamo", "\u1112\u1161\u11ab\u1100\u1173\u11af"),
    ("Japanese", "\u6771\u4eac"),
    ("Russian", "\u041c\u043e\u0441\u043a\u0432\u0430"),
    ("Emoji", "\U0001f525\U0001f431"),
    ("EmojiBetweenWords", "fire\U0001f525cat \U0001f431!"),
    ("Whitespace", "  a \t photo\n\nof   a\r\ncat\u00a0 \u3000 "),
    ("HtmlEntities", "salt &amp; pepper &lt;3 &quot;hi&quot; &amp;amp; it&#39;s"),
    ("MixedCase", "A PhOtO Of A CaT"),
    ("SpecialTokenText", "a <|endoftext|> b <|startoftext|>"),
    ("SpecialTokenAfterPunctuation", "x!<|endoftext|> <|ENDOFTEXT|>"),
    ("AstralLetters", "\U00020000x \U0001d400bc \U0001d7cf2"),
    ("Greek", "\u039f\u0394\u039f\u03a3 \u03b1\u03b2\u03b3"),
    ("DottedCapitalI", "\u0130stanbul"),
    ("ControlSeparators", "\x1c a\x1cb \x1f c\x1f"),
    ("Empty", ""),
    ("OnlySpaces", "   \t\n "),
    ("Long", " ".join(["a photo of an astronaut riding a horse on mars"] * 8),
     'string.Join(" ", Enumerable.Repeat("a photo of an astronaut riding a horse on mars", 8))'),
    ("Exactly75", " ".join(["cat"] * 75), 'string.Join(" ", Enumerable.Repeat("cat", 75))'),
    ("Exactly76", " ".join(["cat"] * 76), 'string.Join(" ", Enumerable.Repeat("cat", 76))'),
]


def csharp_string(text):
    out = []
    for ch in text:
        cp = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif 0x20 <= cp < 0x7f:
            out.append(ch)
        elif cp > 0xFFFF:
            out.append("\\U%08X" % cp)
        else:
            out.append("\\u%04X" % cp)
    return '"' + "".join(out) + '"'


def nfc_table():
    """C# tables for ClipNfc: canonical decompositions (with a primary-composite flag) and combining classes."""
    decompositions = []
    classes = []
    for cp in range(0x110000):
        ch = chr(cp)
        if 0xAC00 <= cp <= 0xD7A3:
            continue  # Hangul syllables are algorithmic
        mapping = unicodedata.decomposition(ch)
        if mapping and not mapping.startswith("<"):
            parts = [int(x, 16) for x in mapping.split()]
            composite = len(parts) == 2 and unicodedata.normalize("NFC", "".join(map(chr, parts))) == ch
            decompositions.append(((cp | (1 << 24)) if composite else cp, parts[0], parts[1] if len(parts) > 1 else 0))
        combining = unicodedata.combining(ch)
        if combining:
            if classes and classes[-1][1] == cp - 1 and classes[-1][2] == combining:
                classes[-1][1] = cp
            else:
                classes.append([cp, cp, combining])

    def rows(triples):
        flat = ["0x%X" % v for t in triples for v in t]
        return "\n".join("        " + ", ".join(flat[i:i + 12]) + "," for i in range(0, len(flat), 12))

    print("// <auto-generated>")
    print("// Generated by tests/tools/clip_reference.py --nfc-table from Python's unicodedata %s." % unicodedata.unidata_version)
    print("// </auto-generated>")
    print("namespace StreamDiffusion.Pipeline.Models.Tokenization;")
    print("")
    print("/// <summary>Unicode tables for <see cref=\"ClipNfc\"/> (Unicode %s).</summary>" % unicodedata.unidata_version)
    print("internal static class ClipNfcData")
    print("{")
    print("    /// <summary>Triples (code point | 1 &lt;&lt; 24 when a primary composite, first, second or 0).</summary>")
    print("    public static ReadOnlySpan<int> Decompositions =>")
    print("    [")
    print(rows(decompositions))
    print("    ];")
    print("")
    print("    /// <summary>Triples (first code point, last code point, canonical combining class), sorted.</summary>")
    print("    public static ReadOnlySpan<int> CombiningClasses =>")
    print("    [")
    print(rows(classes))
    print("    ];")
    print("}")


def main(argv):
    if argv and argv[0] == "--nfc-table":
        nfc_table()
        return 0
    ref = ClipReference()
    if argv and argv[0] == "--check":
        ok = True
        for text, expected in KNOWN.items():
            got = " ".join(map(str, ref.tokenize(text)[0]))
            print(("OK  " if got == expected else "BAD ") + text + " -> " + got)
            ok &= got == expected
        return 0 if ok else 1
    if argv and argv[0] == "--csharp":
        for case in CASES:
            name, text = case[0], case[1]
            expression = case[2] if len(case) > 2 else csharp_string(text)
            ids, truncated = ref.tokenize(text)
            print("        [%s] = new(%s, %s, [%s])," % (
                json.dumps(name), expression, "true" if truncated else "false",
                ", ".join(map(str, ids))))
        return 0
    for text in argv:
        ids, truncated = ref.tokenize(text)
        print(" ".join(map(str, ids)) + ("  (truncated)" if truncated else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
