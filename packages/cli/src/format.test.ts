import type { AppInfo, DiffEntry } from '@stoa/client/admin';
import { describe, expect, it } from 'vitest';
import { createColors } from './ansi.js';
import {
  formatApps,
  formatBreaking,
  formatBytes,
  formatDeployment,
  formatDiff,
  formatDuration,
  formatLogEntry,
} from './format.js';

const ENTRIES: DiffEntry[] = [
  { change: 'added', subject: 'table', qname: 'todo.Note', detail: 'CDoc' },
  { change: 'removed', subject: 'field', qname: 'todo.Task', field: 'Assignee' },
  { change: 'changed', subject: 'field', qname: 'todo.Task', field: 'Title', detail: 'varchar(200) → varchar(300)' },
  { change: 'added', subject: 'grant', qname: 'todo.TodoWS', detail: '' },
];

describe('formatDiff', () => {
  it('prints one +/-/~ line per entry, as the engine text does', () => {
    expect(formatDiff(ENTRIES)).toEqual([
      '+ table todo.Note: CDoc',
      '- field todo.Task.Assignee',
      '~ field todo.Task.Title: varchar(200) → varchar(300)',
      '+ grant todo.TodoWS',
    ]);
    expect(formatDiff([])).toEqual([]);
  });

  it('colors additions green, removals red, changes yellow, and only when asked', () => {
    const colored = formatDiff(ENTRIES.slice(0, 3), createColors(true));
    expect(colored).toEqual([
      '\u001b[32m+ table todo.Note: CDoc\u001b[39m',
      '\u001b[31m- field todo.Task.Assignee\u001b[39m',
      '\u001b[33m~ field todo.Task.Title: varchar(200) → varchar(300)\u001b[39m',
    ]);
    expect(formatDiff(ENTRIES, createColors(false)).join('')).not.toContain('\u001b');
  });
});

describe('other formatters', () => {
  it('breaking changes: message and code', () => {
    expect(
      formatBreaking([
        { code: 'field-removed', qname: 'todo.Task', field: 'Title', message: 'field todo.Task.Title was removed' },
      ]),
    ).toEqual(['✗ field todo.Task.Title was removed [field-removed]']);
  });

  it('log lines: ISO time, level name, app (or -), message', () => {
    expect(
      formatLogEntry({
        seq: 1,
        time: Date.UTC(2025, 0, 2, 3, 4, 5, 678),
        level: 30,
        msg: 'deployed',
        app: 'acme/todo',
      }),
    ).toBe('2025-01-02T03:04:05.678Z INFO  acme/todo deployed');
    expect(formatLogEntry({ seq: 2, time: 0, level: 50, msg: 'boom' })).toBe('1970-01-01T00:00:00.000Z ERROR - boom');
    expect(formatLogEntry({ seq: 3, time: 0, level: 35, msg: 'odd' })).toBe('1970-01-01T00:00:00.000Z 35    - odd');
    expect(formatLogEntry({ seq: 4, time: 0, level: 40, msg: 'w' }, createColors(true))).toContain(
      '\u001b[33mWARN \u001b[39m',
    );
  });

  it('sizes and durations', () => {
    expect([formatBytes(812), formatBytes(22_634), formatBytes(3_565_158)]).toEqual(['812 B', '22.1 KB', '3.4 MB']);
    expect([formatDuration(12.4), formatDuration(190)]).toEqual(['12 ms', '190 ms']);
    expect(formatDuration(1940)).toBe('1.94 s');
  });

  it('apps table and history lines', () => {
    const deployment = {
      version: 3,
      bundle: 'ab'.repeat(32),
      kind: 'deploy' as const,
      at: '2025-01-01T00:00:00.000Z',
      by: 'cli:ann@box',
      diff: '+ table todo.Note\n- field todo.Task.Assignee',
    };
    const apps: AppInfo[] = [
      {
        owner: 'acme',
        name: 'todo',
        partitions: 4,
        status: 'active',
        source: 'admin',
        versionHash: 'ab'.repeat(32),
        active: deployment,
      },
      {
        owner: 'local',
        name: 'shop',
        partitions: 10,
        status: 'active',
        source: 'folder',
        versionHash: 'f00d',
        active: null,
      },
    ];
    expect(formatApps(apps)).toEqual([
      'APP         STATUS  VERSION  SOURCE  PARTITIONS  BUNDLE',
      'acme/todo   active  3        admin   4           abababababab',
      'local/shop  active  -        folder  10          f00d',
    ]);
    expect(formatDeployment(deployment)).toEqual([
      `v3  deploy    2025-01-01T00:00:00.000Z  cli:ann@box  abababababab`,
      '      + table todo.Note',
      '      - field todo.Task.Assignee',
    ]);
  });
});
