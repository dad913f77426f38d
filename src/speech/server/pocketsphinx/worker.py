"""A pocketsphinx decoder behind stdin/stdout, for the TypeScript driver (index.ts).

One JSON object a line each way. Requests:
  {"id": 1, "lang": "ru"|"en", "grammar": ["да", "да конечно", ...], "pcm": "<base64 16-bit LE mono>"}
Replies:
  {"id": 1, "ok": true, "hyp": "да"|null, "frames": 120, "score": -4321,
   "words": [["да", 30, 52]], "nbest": [["да", -4321], ["нет", -4800]], "ms": 35}
  {"id": 1, "ok": false, "error": "..."}
The first line out is {"ready": true, ...} once the model is loaded, or {"fatal": "..."}.
Words and frames are 10 ms frames. "score" is the path's acoustic score, which pocketsphinx keeps
relative to the best senone of each frame: per frame, how far the phrase falls short of the best
the model could say about that frame (the yardstick confidence.ts measures against; a free phone
loop decoded beside it cost 150 ms an utterance and told nothing more).
"""
import base64
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

VOICES = {'ru': 'ru', 'en': 'en-us'}
GRAMMAR_SLOTS = 32
NBEST = 12
# decoder settings (tune/exp.py measured them on the tuning voices, clean and with line noise):
# -topn 8 scores more of each senone's Gaussians, which holds up better in noise than the default 4
GRAMMAR_CONFIG = {'topn': 8}
# the N-best list is walked this far at most for the best few distinct phrases (a long walk was
# the slow tail: p95 230 ms at 200)
NBEST_WALK = 40


def acoustic_model(path, front):
    """The model's directory, or, when the front end is to differ from the model's feat.params (8 kHz
    input: -samprate 8000 -upperf 3500 ...; feat.params would override the options), a copy of it
    made of links to the model's files and a feat.params with those settings."""
    if not front:
        return path
    import hashlib
    import tempfile
    with open(os.path.join(path, 'feat.params')) as f:
        params = dict(l.split(None, 1) for l in f.read().splitlines() if l.strip())
    for k, v in front.items():
        params['-' + k] = str(v)
    text = ''.join('%s %s\n' % (k, v.strip()) for k, v in params.items())
    key = hashlib.sha1((path + text).encode()).hexdigest()[:12]
    out = os.path.join(tempfile.gettempdir(), 'zvonar-ps-%d-%s' % (os.getuid(), key))
    if not os.path.exists(os.path.join(out, 'feat.params')):
        tmp = out + '.%d' % os.getpid()
        os.makedirs(tmp, exist_ok=True)
        for name in os.listdir(path):
            if name != 'feat.params':
                os.symlink(os.path.join(path, name), os.path.join(tmp, name))
        with open(os.path.join(tmp, 'feat.params'), 'w') as f:
            f.write(text)
        try:
            os.rename(tmp, out)
        except OSError:  # another worker made it first
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def say(obj):
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + '\n')
    sys.stdout.flush()


class Worker:
    def __init__(self, opts):
        import pocketsphinx as ps  # python3-pocketsphinx
        from lexicon import Lexicon
        model = opts.get('model') or '/usr/share/pocketsphinx/model/en-us'
        hmm = acoustic_model(os.path.join(model, 'en-us'), opts.get('front') or {})

        def decoder(config):
            cfg = ps.Decoder.default_config()
            cfg.set_string('-hmm', hmm)
            cfg.set_string('-dict', os.path.join(model, 'cmudict-en-us.dict'))
            cfg.set_string('-logfn', '/dev/null')
            for k, v in config.items():
                if isinstance(v, bool):
                    cfg.set_boolean('-' + k, v)
                elif isinstance(v, int):
                    cfg.set_int('-' + k, v)
                elif isinstance(v, float):
                    cfg.set_float('-' + k, v)
                else:
                    cfg.set_string('-' + k, str(v))
            return ps.Decoder(cfg)

        self.dec = decoder(dict(GRAMMAR_CONFIG, **(opts.get('config') or {})))
        self.lex = Lexicon(opts.get('variants') or 4)
        self.added = set()
        self.grammars = {}  # key -> slot name, most recent last

    def ensure_words(self, words, lang):
        new = [w for w in words if (lang, w) not in self.added]
        if not new:
            return
        need = []
        for w in new:
            if lang == 'en' and self.dec.lookup_word(w) is not None:
                self.added.add((lang, w))
            else:
                need.append(w)
        if not need:
            return
        prons = self.lex.lookup(need, VOICES[lang])
        todo = []
        for w in need:
            vs = prons[w]
            if not vs:
                raise ValueError('no pronunciation for "%s"' % w)
            if lang == 'en' and self.dec.lookup_word(w) is None:
                vs = vs[:2]
            for i, v in enumerate(vs):
                todo.append((w if i == 0 else '%s(%d)' % (w, i + 1), v))
        for i, (w, v) in enumerate(todo):
            self.dec.add_word(w, v, i == len(todo) - 1)
        self.added.update((lang, w) for w in need)

    def grammar(self, lang, phrases):
        key = lang + '\n' + '\n'.join(sorted(set(phrases)))
        name = self.grammars.pop(key, None)
        if name is None:
            words = sorted({w for p in phrases for w in p.split()})
            self.ensure_words(words, lang)
            if len(self.grammars) >= GRAMMAR_SLOTS:
                old = next(iter(self.grammars))
                name = self.grammars.pop(old)
            else:
                name = 'g%d' % len(self.grammars)
            alts = ' | '.join('(%s)' % p for p in sorted(set(phrases)))
            self.dec.set_jsgf_string(name, '#JSGF V1.0;\ngrammar g;\npublic <s> = %s;\n' % alts)
        self.grammars[key] = name
        return name

    def decode(self, search, raw):
        self.dec.set_search(search)
        self.dec.start_utt()
        self.dec.process_raw(raw, False, True)  # full utterance: cepstral mean over all of it
        self.dec.end_utt()
        return self.dec.hyp()

    def recognize(self, req):
        t0 = time.time()
        phrases = [' '.join(p.split()) for p in req['grammar'] if p.strip()]
        if not phrases:
            raise ValueError('empty grammar')
        name = self.grammar(req['lang'], phrases)
        raw = base64.b64decode(req['pcm'])
        hyp = self.decode(name, raw)
        frames = self.dec.n_frames()
        out = {'hyp': None, 'frames': frames, 'score': None, 'words': [], 'nbest': []}
        if hyp is not None and hyp.hypstr:
            out['hyp'] = hyp.hypstr
            out['score'] = hyp.best_score
            out['words'] = [[s.word, s.start_frame, s.end_frame] for s in self.dec.seg()]
            if req.get('nbest', True):
                seen = {}
                try:
                    for i, nb in enumerate(self.dec.nbest()):
                        if i >= NBEST_WALK or len(seen) >= NBEST:
                            break
                        if nb.hypstr and nb.hypstr not in seen:
                            seen[nb.hypstr] = nb.score
                except Exception:
                    pass
                out['nbest'] = sorted(seen.items(), key=lambda kv: -kv[1])
        out['ms'] = round((time.time() - t0) * 1000, 1)
        return out


def main():
    opts = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    try:
        w = Worker(opts)
    except ImportError as e:
        say({'fatal': 'python3-pocketsphinx is not installed (%s)' % e, 'missing': 'python3-pocketsphinx'})
        return 1
    except Exception as e:  # the model files are missing or unreadable
        say({'fatal': 'cannot load the pocketsphinx model: %s' % e, 'missing': 'pocketsphinx-en-us'})
        return 1
    say({'ready': True, 'pid': os.getpid()})
    for line in sys.stdin:
        if not line.strip():
            continue
        req = None
        try:
            req = json.loads(line)
            say(dict(w.recognize(req), id=req['id'], ok=True))
        except Exception as e:
            say({'id': req.get('id') if isinstance(req, dict) else None, 'ok': False, 'error': '%s: %s' % (type(e).__name__, e)})
    return 0


if __name__ == '__main__':
    sys.exit(main())
