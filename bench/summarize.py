#!/usr/bin/env python3
"""bench/summarize.py OUT : the results table of a bench/run output directory.

Per scenario and per measuring window, a daemon's cost per read is the
schedstat on-CPU delta of its reader threads divided by the reads it made in
that window (csv rows whose timestamp falls in the window).  The table shows
the median over the windows; the ratio is the median of the per-window
ratios (processes / taskstats), with its min..max.  Also writes OUT/sweep.dat
for the plot.
"""
import glob
import os
import re
import statistics
import sys

OUT = sys.argv[1]


def kv_file(path):
    d = {}
    if os.path.exists(path):
        for line in open(path):
            if '=' in line:
                k, v = line.rstrip('\n').split('=', 1)
                d[k] = v
    return d


def csv_rows(pattern):
    rows = []
    for f in sorted(glob.glob(pattern)):
        for line in open(f):
            if line.startswith('epoch'):
                continue
            parts = line.strip().split(',')
            try:
                rows.append([float(x) if x != 'nan' else float('nan') for x in parts])
            except ValueError:
                pass
    rows.sort()
    return rows


def samples(scen):
    """{daemon: [(round, t, readers_ns, writers_ns, other_ns, ticks, rss, anon)]}"""
    out = {}
    path = os.path.join(OUT, scen, 'samples')
    if not os.path.exists(path):
        return out
    for line in open(path):
        p = line.split()
        out.setdefault(p[2], []).append((int(p[0]), float(p[1]), int(p[3]), int(p[4]),
                                         int(p[5]), int(p[6]), int(p[7]), int(p[8])))
    return out


READ_FILE = {'ps': 'csv/bench/processes/ps_state-running-*',
             'ts': 'csv/bench/taskstats/duration-read_cpu-*'}


def windows(scen, daemon, snaps):
    """per window: (reads, reader_ns, other_ns, t0, t1)"""
    rows = csv_rows(os.path.join(OUT, scen, daemon, READ_FILE[daemon]))
    res = []
    for a, b in zip(snaps, snaps[1:]):
        n = sum(1 for r in rows if a[1] < r[0] <= b[1])
        res.append((n, b[2] - a[2], (b[3] - a[3]) + (b[4] - a[4]), a[1], b[1]))
    return res


def last(pattern, col=1):
    rows = csv_rows(pattern)
    return rows[-1][col] if rows else float('nan')


def in_window(rows, t0, t1):
    return [r for r in rows if t0 < r[0] <= t1]


def floor_us(scen):
    f = os.path.join(OUT, scen, 'floor.out')
    if not os.path.exists(f):
        return None
    m = re.search(r'mean_us=([\d.]+)', open(f).read())
    return float(m.group(1)) if m else None


def fmt(x, nd=1):
    if x is None or x != x:
        return '-'
    return f'{x:,.{nd}f}'


def main():
    env = kv_file(os.path.join(OUT, 'env'))
    scens = sorted(d for d in os.listdir(OUT) if os.path.isdir(os.path.join(OUT, d)))
    order = ['S1'] + sorted([s for s in scens if s.startswith('N')], key=lambda s: int(s[1:])) \
        + ['S2c', 'S3', 'S4', 'M']
    scens = [s for s in order if s in scens]
    failed = [s for s in scens if os.path.exists(os.path.join(OUT, s, 'FAILED'))]
    scens = [s for s in scens if s not in failed]
    print(f"# collectd-taskstats plugin cost ({env.get('date', '?')})\n")
    print(f"{env.get('host', '')}; collectd {env.get('collectd', '')}; commit {env.get('commit', '')}; "
          f"kernel.task_delayacct={env.get('task_delayacct', '')}; Interval {env.get('interval', '')}; "
          f"ReadThreads 1; {env.get('host_processes', '?')} processes on the host before the run; "
          f"run took {env.get('elapsed', '?')}\n")
    print('Reader-thread CPU per read (schedstat), median over the measuring windows; ratio = processes / '
          'taskstats (median of per-window ratios, min..max); floor = bench/floor (same kernel requests + '
          'parsing, no bookkeeping, CLOCK_THREAD_CPUTIME_ID); in-callback = the plugin\'s own '
          'duration-read_cpu.\n')
    print('| scenario | members (ps / ts) | processes µs/read | taskstats µs/read | ratio ps/ts | '
          'ps µs/member/read | ts µs/member/read | floor µs/read | ts / floor | ts in-callback µs/read |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    sweep = []
    results = {}
    extra = []
    for s in scens:
        meta = kv_file(os.path.join(OUT, s, 'meta'))
        sm = samples(s)
        if s == 'M':
            continue
        if 'ps' not in sm or 'ts' not in sm:
            continue
        members = int(meta.get('members', '1'))
        w = {d: windows(s, d, sm[d]) for d in ('ps', 'ts')}
        per = {d: [r[1] / r[0] / 1000 for r in w[d] if r[0] > 0] for d in w}
        ratios = [(a[1] / a[0]) / (b[1] / b[0]) for a, b in zip(w['ps'], w['ts'])
                  if a[0] and b[0] and b[1]]
        ps_us = statistics.median(per['ps']) if per['ps'] else float('nan')
        ts_us = statistics.median(per['ts']) if per['ts'] else float('nan')
        ratio = statistics.median(ratios) if ratios else float('nan')
        fl = floor_us(s)
        tsdir = os.path.join(OUT, s, 'ts')
        t0, t1 = w['ts'][0][3], w['ts'][-1][4]
        rc = in_window(csv_rows(os.path.join(tsdir, READ_FILE['ts'])), t0, t1)
        incb = statistics.mean(r[1] for r in rc) * 1e6 if rc else float('nan')
        tracked = last(os.path.join(tsdir, 'csv/bench/taskstats/count-tracked-*'))
        psn = sum(last(f) for f in glob.glob(os.path.join(OUT, s, 'ps/csv/bench/processes-*/ps_count-*')))
        # a churning group's membership changes every read: show the averages
        if s == 'S4':
            tr = in_window(csv_rows(os.path.join(tsdir, 'csv/bench/taskstats/count-tracked-*')), t0, t1)
            tracked = statistics.mean(r[1] for r in tr) if tr else tracked
            pr = []
            for f in glob.glob(os.path.join(OUT, s, 'ps/csv/bench/processes-*/ps_count-*')):
                pr += in_window(csv_rows(f), t0, t1)
            psn = statistics.mean(r[1] for r in pr) if pr else psn
            members = tracked
        name = {'S1': 'S1 fleet', 'S2c': f'S2 {members}, clean host*', 'S3': 'S3 1,000 threads',
                'S4': 'S4 churn'}.get(s, f'S2 sweep {s[1:]}')
        spread = f"{fmt(ratio)}× ({fmt(min(ratios))}..{fmt(max(ratios))})" if ratios else '-'
        print(f"| {name} | {fmt(psn, 0)} / {fmt(tracked, 0)} | {fmt(ps_us)} | {fmt(ts_us)} | {spread} | "
              f"{fmt(ps_us / members, 2)} | {fmt(ts_us / members, 2)} | {fmt(fl)} | "
              f"{fmt(ts_us / fl, 2) if fl else '-'} | {fmt(incb)} |")
        results[s] = dict(ratio=ratio, ts=ts_us, ps=ps_us, floor=fl, members=members)
        if s.startswith('N'):
            sweep.append((int(s[1:]), ps_us, ts_us, fl if fl else float('nan')))
        if s == 'S4':
            base = os.path.join(tsdir, 'csv/bench/taskstats')
            lost = last(base + '/derive-exit_records_lost-*')
            unrec = last(base + '/derive-exits_unrecorded-*')
            evlost = last(base + '/derive-proc_events_lost-*')
            ex = in_window(csv_rows(os.path.join(tsdir, 'csv/bench/taskstats-churn/operations-processes_exited-*')),
                           t0, t1)
            rate = (ex[-1][1] - ex[0][1]) / (ex[-1][0] - ex[0][0]) if len(ex) > 1 else float('nan')
            recs = in_window(csv_rows(base + '/derive-exit_records-*'), t0, t1)
            rrate = (recs[-1][1] - recs[0][1]) / (recs[-1][0] - recs[0][0]) if len(recs) > 1 else float('nan')
            results['S4'].update(lost=lost, unrec=unrec, rate=rate)
            extra.append(f"S4 churn: {fmt(rate, 0)} member exits/s seen by taskstats "
                         f"({fmt(rrate, 0)} exit records/s folded); exit_records_lost = {fmt(lost, 0)}, "
                         f"exits_unrecorded = {fmt(unrec, 0)}, proc_events_lost = {fmt(evlost, 0)} "
                         f"(totals over the whole run, default ExitRecordsBuffer)")
    if 'M' in scens:
        sm = samples('M')
        meta = kv_file(os.path.join(OUT, 'M', 'meta'))
        n = int(meta.get('members', '0'))
        if 'ts' in sm and 't0' in sm:
            a, b = sm['ts'][-1], sm['t0'][-1]
            tracked = last(os.path.join(OUT, 'M/ts/csv/bench/taskstats/count-tracked-*'))
            d_rss = (a[6] - b[6]) * 1024 / max(tracked, 1)
            d_anon = (a[7] - b[7]) * 1024 / max(tracked, 1)
            results['M'] = dict(rss=d_rss, anon=d_anon, tracked=tracked)
            extra.append(f"M memory: collectd tracking {fmt(tracked, 0)} processes: VmRSS {a[6]:,} KiB "
                         f"(RssAnon {a[7]:,}); tracking 0 (same {n:,} processes on the host): VmRSS "
                         f"{b[6]:,} KiB (RssAnon {b[7]:,}) -> {fmt(d_rss, 0)} B VmRSS, {fmt(d_anon, 0)} B "
                         f"RssAnon per tracked process (plus 2 kernel file objects for the pinned "
                         f"/proc fds, not in RSS)")
    print()
    for s in failed:
        extra.append(f"{s} FAILED: {open(os.path.join(OUT, s, 'FAILED')).read().strip()} "
                     f"(a daemon died or a step failed; see {os.path.join(OUT, s)})")
    for e in extra:
        print(f"- {e}")
    print('\n## Targets\n')

    def verdict(ok):
        return 'MET' if ok else 'MISSED'
    if 'S1' in results:
        print(f"- S1 taskstats ≥ 20× cheaper than processes: {fmt(results['S1']['ratio'])}× — "
              f"{verdict(results['S1']['ratio'] >= 20)}")
    big = max((s for s in results if s.startswith('N')), key=lambda s: int(s[1:]), default=None)
    if big:
        r = results[big]
        print(f"- S2 ({big[1:]} members) ≥ 4× cheaper: {fmt(r['ratio'])}× — {verdict(r['ratio'] >= 4)}")
        if 'S2c' in results:
            rc = results['S2c']['ratio']
            print(f"- S2 ≥ 4× cheaper on a clean host (*processes alone in a PID namespace with only the "
                  f"members): {fmt(rc)}× — {verdict(rc >= 4)}")
        if r['floor']:
            print(f"- S2 within 1.5× of the floor: {fmt(r['ts'] / r['floor'], 2)}× — "
                  f"{verdict(r['ts'] / r['floor'] <= 1.5)}")
    if 'S4' in results:
        print(f"- S4 zero lost exit records: {fmt(results['S4']['lost'], 0)} lost — "
              f"{verdict(results['S4']['lost'] == 0)}")
    if 'M' in results:
        print(f"- memory ≤ 1 KiB per tracked process: {fmt(results['M']['rss'], 0)} B (VmRSS delta) — "
              f"{verdict(results['M']['rss'] <= 1024)}")
    if sweep:
        with open(os.path.join(OUT, 'sweep.dat'), 'w') as f:
            f.write('# members processes_us taskstats_us floor_us (reader CPU per read)\n')
            for row in sorted(sweep):
                f.write(' '.join(str(x) for x in row) + '\n')


main()
