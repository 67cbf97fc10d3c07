// Figures of one git-push bench round and the markdown table of all of them. Where the time goes
// comes from the deploy log the worker stores in Redis: every event carries the worker's
// Date.now() (`at`), the same clock as the bench's start time on this machine.
import { readdirSync, readFileSync } from 'node:fs';
import type { DeployLogEvent } from '@stoa/jobs';

export interface Stages {
  /** Start → the build job's first event ("build of … started"): webhook, enqueue, BullMQ pick-up. */
  readonly pickedMs: number | undefined;
  /** `fetch` → `build` progress: git fetch of the commit and checkout. */
  readonly fetchMs: number | undefined;
  /** `build` progress → "bundle … built … and stored": the limited child (VSQL + AssemblyScript) and the Bundle row. */
  readonly buildMs: number | undefined;
  /** Of the build: `build` progress → the child's first line (prlimit, node, tsx and @stoa/bundle loaded). */
  readonly childStartMs: number | undefined;
  /** Of the build: the AssemblyScript compile the child reports ("compiled in N ms"; 0 when cached). */
  readonly compileMs: number | undefined;
  /** Bundle stored → "rolling out bundle …": deploy.rollout enqueued and picked up. */
  readonly rolloutQueueMs: number | undefined;
  /** "rolling out bundle …" → the `end` event: upload, check, activation on the node, live row. */
  readonly rolloutMs: number | undefined;
}

export interface Round extends Stages {
  readonly label: string;
  /** Webhook POST sent → its 202 answer. */
  readonly acceptedMs: number;
  /** → the deployment row reads `live` (polled every 50 ms). */
  readonly liveMs: number;
  /** → the engine's OpenAPI document of the app shows the change (polled every 50 ms). */
  readonly apiMs: number;
  /** CPU time of the worker process and its reaped children (git, the build child) during the round. */
  readonly workerCpuMs: number | undefined;
}

const between = (from: DeployLogEvent | undefined, to: DeployLogEvent | undefined): number | undefined =>
  from === undefined || to === undefined ? undefined : to.at - from.at;

/** The stage durations of one deployment's log events; `startedAt` is the bench's Date.now() at the POST. */
export function breakdown(events: readonly DeployLogEvent[], startedAt: number): Stages {
  const progress = (stage: string) => events.find((e) => e.type === 'progress' && e.stage === stage);
  const line = (pattern: RegExp) => events.find((e) => e.type === 'line' && pattern.test(e.text));
  const built = line(/^bundle [0-9a-f]+ built in /);
  const rolling = line(/^rolling out bundle /);
  const first = events[0];
  const compiled = events.flatMap((e) => {
    const match =
      e.type === 'line' ? /^extension package .*: \d+ bytes, (?:compiled in (\d+) ms|cached)$/.exec(e.text) : null;
    return match === null ? [] : [Number(match[1] ?? 0)];
  });
  return {
    pickedMs: first === undefined ? undefined : first.at - startedAt,
    fetchMs: between(progress('fetch'), progress('build')),
    buildMs: between(progress('build'), built),
    childStartMs: between(progress('build'), line(/^building the bundle/)),
    compileMs: compiled.length === 0 ? undefined : compiled.reduce((a, b) => a + b, 0),
    rolloutQueueMs: between(built, rolling),
    rolloutMs: between(
      rolling,
      events.find((e) => e.type === 'end'),
    ),
  };
}

export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

export const seconds = (ms: number | undefined): string => (ms === undefined ? '–' : `${(ms / 1000).toFixed(2)} s`);

const COLUMNS: readonly [string, (r: Round) => number | undefined][] = [
  ['webhook → 202', (r) => r.acceptedMs],
  ['build job starts at', (r) => r.pickedMs],
  ['git fetch', (r) => r.fetchMs],
  ['build', (r) => r.buildMs],
  ['(child start)', (r) => r.childStartMs],
  ['(asc compile)', (r) => r.compileMs],
  ['rollout queue', (r) => r.rolloutQueueMs],
  ['rollout', (r) => r.rolloutMs],
  ['live in Postgres at', (r) => r.liveMs],
  ['**first API call at**', (r) => r.apiMs],
  ['worker CPU', (r) => r.workerCpuMs],
];

/** Per-round rows (the warm-up first), then the medians of the measured rounds. */
export function printTable(first: Round, rounds: readonly Round[]): void {
  const row = (cells: readonly string[]) => console.log(`| ${cells.join(' | ')} |`);
  row(['', ...COLUMNS.map(([name]) => name)]);
  row(['---', ...COLUMNS.map(() => '---:')]);
  row([`${first.label} (warm-up, not in the median)`, ...COLUMNS.map(([, get]) => seconds(get(first)))]);
  for (const r of rounds) row([r.label, ...COLUMNS.map(([, get]) => seconds(get(r)))]);
  row([
    `**median of ${rounds.length}**`,
    ...COLUMNS.map(([, get]) => {
      const values = rounds.map(get).filter((v): v is number => v !== undefined);
      return values.length === 0 ? '–' : seconds(median(values));
    }),
  ]);
}

/** The pid of this process's child whose command line contains `entry`, from /proc (Linux). */
export function childPid(entry: string): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(entry)) return Number(name);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/**
 * CPU ms (user + system) of `pid` plus its children that have ended (utime, stime, cutime, cstime
 * of /proc/<pid>/stat; 10 ms ticks). Load on the machine stretches wall time, much less CPU time.
 */
export function treeCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) * 10;
  } catch {
    return undefined;
  }
}
