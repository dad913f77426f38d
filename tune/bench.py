"""CPU time per decode part (process_time: less sensitive to a loaded machine than wall time).
usage: bench.py SET VARIANT_JSON [n]"""
import json, os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import exp
set_, variant = sys.argv[1], json.loads(sys.argv[2])
n = int(sys.argv[3]) if len(sys.argv) > 3 else 40
items = json.load(open(os.path.join('/tmp/zvonar-tune', set_, 'manifest.json')))[::max(1, 976 // n)][:n]
exp.init(variant, set_)
parts = [[], [], []]
for it in items:
    raw = open(it['file'], 'rb').read()
    dec = exp.D['g']
    c0 = time.process_time(); exp.decode(dec, 'g' + it['lang'], raw); c1 = time.process_time()
    seen = set()
    for i, nb in enumerate(dec.nbest()):
        if i >= variant.get('nbestmax', 200) or len(seen) >= variant.get('distinct', 12): break
        if nb.hypstr: seen.add(nb.hypstr)
    c2 = time.process_time()
    if variant.get('loop', 'jsgf') != 'none':
        exp.decode(exp.D['l'], 'loop', raw)
    c3 = time.process_time()
    for p, v in zip(parts, (c1 - c0, c2 - c1, c3 - c2)): p.append(v * 1000)
    tot = parts
s = lambda p: sorted(p)
tot = sorted(a + b + c for a, b, c in zip(*parts))
print(json.dumps(variant), 'cpu ms p50/p95: grammar %.0f/%.0f nbest %.0f/%.0f loop %.0f/%.0f total %.0f/%.0f' % (
    s(parts[0])[len(items)//2], s(parts[0])[int(len(items)*.95)], s(parts[1])[len(items)//2], s(parts[1])[int(len(items)*.95)],
    s(parts[2])[len(items)//2], s(parts[2])[int(len(items)*.95)], tot[len(items)//2], tot[int(len(items)*.95)]), 'load', os.getloadavg()[0])
