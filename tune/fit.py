"""Fit/evaluate the decision rule on an exp.py output. usage: fit.py OUT.json [gapkind]"""
import json, sys, itertools, statistics as st
import os; sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
GP = {}
def intents(lang):
    if lang not in GP:
        import subprocess
        GP[lang] = json.load(open('/tmp/zvonar-tune/intents-%s.json' % lang))
    return GP[lang]
def intent_of(lang, hyp):
    if hyp is None: return None
    return intents(lang).get(hyp)

def feats(r, kind='frames'):
    if kind == 'noloop' and r['hyp'] is not None and r['score'] is not None:
        r = dict(r, loop=0)
    if r['hyp'] is None or r['score'] is None or r['loop'] is None or r['frames'] <= 0:
        return None
    if r['hyp'].startswith('ph_'):  # the in-grammar garbage won
        return None
    n = r['frames']
    if kind == 'speech':
        ws = [w for w in r['words'] if not w[0].startswith('<') and not w[0].startswith('[')]
        n = max(1, sum(w[2] - w[1] + 1 for w in ws)) if ws else n
    gap = (r['score'] - r['loop']) / n
    nb = r['nbest']
    if nb and len(nb) > 1:
        sec = next((s for h, s in nb if h != nb[0][0]), None)
        margin = (nb[0][1] - sec) / r['frames'] if sec is not None else 10
    else:
        margin = 10
    return gap, min(margin, 10)

def decide(f, R):
    if f is None: return 'reject'
    gap, m = f
    if gap >= R[0] and m >= R[1]: return 'act'
    if gap >= R[2] and m >= R[3]: return 'confirm'
    return 'reject'

def evaluate(items, R, kind):
    S = {}
    for r in items:
        key = (r['voice'], 'noisy' if r['snr'] else 'clean', 'in' if r['intent'] else 'off')
        s = S.setdefault(key, dict(n=0, right=0, act=0, conf_r=0, conf_w=0, rej=0, wrong=0))
        s['n'] += 1
        got = intent_of(r['lang'], r['hyp'])
        if got == r['intent']: s['right'] += 1
        d = decide(feats(r, kind), R)
        if d == 'reject' or got is None: s['rej'] += 1
        elif d == 'act':
            if got == r['intent']: s['act'] += 1
            else: s['wrong'] += 1
        else:
            if got == r['intent']: s['conf_r'] += 1
            else: s['conf_w'] += 1
    return S

def summary(S, sel=lambda k: True):
    t = dict(n=0, right=0, act=0, conf_r=0, conf_w=0, rej=0, wrong=0)
    for k, s in S.items():
        if sel(k):
            for x in t: t[x] += s[x]
    return t

def score(S):
    i = summary(S, lambda k: k[2] == 'in'); o = summary(S, lambda k: k[2] == 'off')
    ended = (i['act'] + i['conf_r']) / i['n']
    wrong = (i['wrong'] + o['wrong']) / (i['n'] + o['n'])
    orej = o['rej'] / o['n']
    return ended, wrong, orej, i, o

def grid(items, kind, maxwrong=0.01, minrej=0.5):
    best = None
    gaps = [x / 2 for x in range(-36, 2, 2)] + [x/2 for x in range(-11,2,2)]
    if kind == 'noloop':
        lo = sorted(feats(r, kind)[0] for r in items if feats(r, kind))
        gaps = sorted(set(lo[int(len(lo) * q / 40)] for q in range(40)))
    margins = [0, 0.25, 0.5, 1, 1.5, 2, 3]
    for A, M, C, m2 in itertools.product(gaps, margins, gaps, [0, 0.25]):
        if C > A: continue
        S = evaluate(items, (A, M, C, m2), kind)
        ended, wrong, orej, i, o = score(S)
        if wrong > maxwrong or orej < minrej: continue
        key = (ended, (i['act'] / i['n']), orej)
        if best is None or key > best[0]: best = (key, (A, M, C, m2))
    return best

def report(items, R, kind):
    S = evaluate(items, R, kind)
    for k in sorted(S):
        s = S[k]; n = s['n']
        p = lambda x: '%3.0f%%' % (100 * x / n)
        print('  %-10s %-5s %-3s n=%3d top-right %s | act-right %s conf %s (%d r, %d w) rej %s WRONG %s' % (k + (n, p(s['right']), p(s['act']), p(s['conf_r'] + s['conf_w']), s['conf_r'], s['conf_w'], p(s['rej']), p(s['wrong']))))
    ended, wrong, orej, i, o = score(S)
    print('  ended right %.1f%% (act %.1f%%), acted wrong %.2f%%, off rejected %.1f%%' % (100 * ended, 100 * i['act'] / i['n'], 100 * wrong, 100 * orej))

if __name__ == '__main__':
    d = json.load(open(sys.argv[1]))
    kind = sys.argv[2] if len(sys.argv) > 2 else 'frames'
    items = d['items']
    ms = sorted(sum(r['ms']) for r in items)
    parts = [sorted(r['ms'][j] for r in items) for j in range(3)]
    print('variant', d['variant'], 'ms p50 %.0f p95 %.0f (g %.0f nb %.0f loop %.0f)' % (ms[len(ms)//2], ms[int(len(ms)*.95)], *(p[len(p)//2] for p in parts)))
    if len(sys.argv) > 3:
        R = tuple(float(x) for x in sys.argv[3].split(','))
    else:
        best = grid(items, kind)
        print('best', best)
        R = best[1]
    report(items, R, kind)
