"""Decode the tuning corpus under a variant of the recogniser's settings; one JSON line per item.
usage: /usr/bin/python3 tune/exp.py SET VARIANT_JSON OUT [procs]"""
import json, os, sys, time
from multiprocessing import Pool
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'src', 'speech', 'server', 'pocketsphinx'))
import pocketsphinx as ps
import worker as W
from lexicon import Lexicon

MODEL = '/usr/share/pocketsphinx/model/en-us'
PHONES = ['AA', 'AE', 'AH', 'AO', 'AW', 'AY', 'B', 'CH', 'D', 'DH', 'EH', 'ER', 'EY', 'F', 'G', 'HH', 'IH', 'IY', 'JH',
          'K', 'L', 'M', 'N', 'NG', 'OW', 'OY', 'P', 'R', 'S', 'SH', 'T', 'TH', 'UH', 'UW', 'V', 'W', 'Y', 'Z', 'ZH']
V = None; G = {}; D = {}

def mk(conf):
    cfg = ps.Decoder.default_config()
    cfg.set_string('-hmm', os.path.join(MODEL, 'en-us'))
    cfg.set_string('-dict', os.path.join(MODEL, 'cmudict-en-us.dict'))
    cfg.set_string('-logfn', '/dev/null')
    for k, v in conf.items():
        if isinstance(v, bool): cfg.set_boolean('-' + k, v)
        elif isinstance(v, int): cfg.set_int('-' + k, v)
        elif isinstance(v, float): cfg.set_float('-' + k, v)
        else: cfg.set_string('-' + k, str(v))
    return ps.Decoder(cfg)

def init(variant, set_):
    global V, D
    V = variant
    D['g'] = mk(V.get('g', {}))
    lex = Lexicon(V.get('variants', 4))
    loopdec = D['g'] if not V.get('l') else mk(dict(V.get('g', {}), **V['l']))
    D['l'] = loopdec
    for dec in {id(D['g']): D['g'], id(loopdec): loopdec}.values():
        for i, p in enumerate(PHONES):
            dec.add_word('ph_' + p.lower(), p, i == len(PHONES) - 1)
        loop = ' | '.join('ph_' + p.lower() for p in PHONES)
        dec.set_jsgf_string('loop', '#JSGF V1.0;\ngrammar loop;\npublic <s> = (%s)+;\n' % loop)
        if V.get('loop') == 'allphone':
            dec.set_allphone_file('allp', os.path.join(MODEL, 'en-us-phone.lm.bin'))
    for lang in ('ru', 'en'):
        p = os.path.join('/tmp/zvonar-tune', set_, 'grammar-%s.json' % lang)
        if not os.path.exists(p): continue
        phrases = [' '.join(x.split()) for x in json.load(open(p))]
        words = sorted({w for x in phrases for w in x.split()})
        todo = []
        for w in words:
            if lang == 'en' and D['g'].lookup_word(w) is not None: continue
            vs = lex.lookup([w], W.VOICES[lang])[w]
            if lang == 'en': vs = vs[:2]
            todo += [(w if i == 0 else '%s(%d)' % (w, i + 1), v) for i, v in enumerate(vs)]
        for i, (w, v) in enumerate(todo):
            D['g'].add_word(w, v, i == len(todo) - 1)
        alts = ' | '.join('(%s)' % x for x in sorted(set(phrases)))
        if V.get('garbage') is not None:
            alts += ' | /%g/ (<ph>)+' % V['garbage'] if False else ''
            gram = '#JSGF V1.0;\ngrammar g;\n<ph> = %s;\npublic <s> = /1/ (%s) | /%g/ <gb>;\n<gb> = <ph>+;\n' % (
                ' | '.join('ph_' + p.lower() for p in PHONES), alts, V['garbage'])
        else:
            gram = '#JSGF V1.0;\ngrammar g;\npublic <s> = %s;\n' % alts
        D['g'].set_jsgf_string('g' + lang, gram)

def decode(dec, search, raw):
    dec.set_search(search)
    dec.start_utt(); dec.process_raw(raw, False, True); dec.end_utt()
    return dec.hyp()

def run(item):
    raw = open(item['file'], 'rb').read()
    if V.get('gain'): 
        import array
        a = array.array('h', raw); g = V['gain']
        a = array.array('h', (max(-32768, min(32767, int(x * g))) for x in a)); raw = a.tobytes()
    dec = D['g']
    t0 = time.time()
    hyp = decode(dec, 'g' + item['lang'], raw)
    t1 = time.time()
    out = dict(item, hyp=None, frames=dec.n_frames(), score=None, loop=None, nbest=[], words=[])
    if hyp is not None and hyp.hypstr:
        out['hyp'] = hyp.hypstr; out['score'] = hyp.best_score
        out['words'] = [[s.word, s.start_frame, s.end_frame, s.ascore] for s in dec.seg()]
        seen = {}
        try:
            for i, nb in enumerate(dec.nbest()):
                if i >= V.get('nbestmax', 200) or len(seen) >= 12: break
                if nb.hypstr and nb.hypstr not in seen: seen[nb.hypstr] = nb.score
        except Exception: pass
        out['nbest'] = sorted(seen.items(), key=lambda kv: -kv[1])
    t2 = time.time()
    if V.get('loop', 'jsgf') != 'none':
        lh = decode(D['l'], 'allp' if V.get('loop') == 'allphone' else 'loop', raw)
        out['loop'] = lh.best_score if lh is not None else None
        out['loopframes'] = D['l'].n_frames()
        if V.get('loopseg'):
            out['loopwords'] = [[s.word, s.start_frame, s.end_frame, s.ascore] for s in D['l'].seg()]
    t3 = time.time()
    out['ms'] = [round((t1 - t0) * 1000, 1), round((t2 - t1) * 1000, 1), round((t3 - t2) * 1000, 1)]
    return out

if __name__ == '__main__':
    set_, variant, outp = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    procs = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    items = json.load(open(os.path.join('/tmp/zvonar-tune', set_, 'manifest.json')))
    if variant.get('cleanin'):
        items = [it for it in items if not it['snr'] and it['intent']]
    if variant.get('noisyin'):
        items = [it for it in items if it['snr'] and it['intent']]
    if variant.get('filter'):
        items = [it for i, it in enumerate(items) if i % variant['filter'] == 0]
    t = time.time()
    with Pool(procs, initializer=init, initargs=(variant, set_)) as p:
        res = p.map(run, items, chunksize=4)
    json.dump({'variant': variant, 'items': res}, open(outp, 'w'), ensure_ascii=False)
    print('done', len(res), round(time.time() - t, 1), 's', file=sys.stderr)
