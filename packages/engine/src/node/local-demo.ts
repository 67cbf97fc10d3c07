/**
 * Local mode (`STOA_LOCAL_DEMO`): for each folder app, a demo workspace owned by the development
 * principal `dev`, a one-hour token for it and a curl line that works as printed — no open door
 * (docs/ARCHITECTURE.md §7). The workspace is created through AppService.createWorkspace, like any
 * client's, and remembered in sys storage so restarts reuse it.
 */
import type { Principal } from '@stoa/auth';
import type { AppService, CallContext, WorkspaceInfo } from '../core/service.js';
import type { DemoWorkspaceRecord } from './sys-store.js';

type AppDef = AppService['appdef'];
type FieldDef = AppDef['tables'][string]['fields'][number];

export const DEMO_SUBJECT = 'dev';
export const DEMO_WORKSPACE_NAME = 'demo';
export const DEMO_TOKEN_TTL_SECONDS = 3600;

export interface LocalDemoDeps {
  getDemoWorkspace(app: string): Promise<DemoWorkspaceRecord | undefined>;
  putDemoWorkspace(app: string, record: DemoWorkspaceRecord): Promise<void>;
  issueToken(input: {
    app: string;
    subject: string;
    ttlSeconds: number;
  }): Promise<{ token: string; expiresInSeconds: number }>;
  now(): number;
}

export interface LocalDemo {
  /** `owner/app` */
  readonly app: string;
  readonly wsid: number;
  readonly kind: string;
  /** True when the workspace already existed (restart). */
  readonly reused: boolean;
  readonly token: string;
  readonly expiresInSeconds: number;
  /** The insert example (table + body) used in the curl line, if the workspace has a document table. */
  readonly example: { readonly table: string; readonly body: Readonly<Record<string, unknown>> } | undefined;
}

/** The app's first non-abstract workspace kind outside `sys`, in declaration order. */
export function pickDemoWorkspaceKind(appdef: AppDef): string | undefined {
  return Object.values(appdef.workspaces).find((ws) => !ws.abstract && !ws.qname.startsWith('sys.'))?.qname;
}

/** A plausible value for a required field, so generic apps get a working descriptor and example. */
function sampleValue(field: FieldDef, text: string, now: number): unknown {
  switch (field.type.kind) {
    case 'varchar':
      return text.slice(0, field.type.maxLen ?? 255);
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
    case 'float32':
    case 'float64':
    case 'currency':
      return 1;
    case 'bool':
      return false;
    case 'timestamp':
      return now;
    default:
      return undefined;
  }
}

/** Required user fields filled with sample values; undefined if one cannot be filled. */
function sampleFields(fields: readonly FieldDef[], text: string, now: number): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    if (field.system || !field.required) continue;
    // Patterned strings and refs have no safe generic sample.
    if (field.pattern !== undefined) return undefined;
    const value = sampleValue(field, text, now);
    if (value === undefined) return undefined;
    out[field.name] = value;
  }
  return out;
}

export function buildDescriptor(appdef: AppDef, kind: string, now: number): Record<string, unknown> {
  const descriptor = appdef.workspaces[kind]?.descriptor;
  const table = descriptor === null || descriptor === undefined ? undefined : appdef.tables[descriptor];
  if (table === undefined) return {};
  const fields = sampleFields(table.fields, 'Demo board', now);
  if (fields === undefined) throw new Error(`cannot fill the required fields of ${table.qname} for the demo workspace`);
  return fields;
}

/** The first top-level CDoc/WDoc of the workspace that can be inserted with sample values. */
export function buildInsertExample(appdef: AppDef, kind: string, now: number): LocalDemo['example'] {
  for (const qname of appdef.workspaces[kind]?.types ?? []) {
    const table = appdef.tables[qname];
    if (table === undefined || table.qname.startsWith('sys.') || table.abstract || table.singleton) continue;
    if ((table.kind !== 'CDoc' && table.kind !== 'WDoc') || table.descriptorOf !== undefined) continue;
    const body = sampleFields(table.fields, 'Try Stoa', now);
    if (body !== undefined) return { table: table.qname, body };
  }
  return undefined;
}

function demoPrincipal(app: string, now: number): Principal {
  return {
    kind: 'user',
    subject: DEMO_SUBJECT,
    app,
    profileWSID: 0,
    expiresAt: Math.floor(now / 1000) + DEMO_TOKEN_TTL_SECONDS,
  };
}

/** Ensures the demo workspace exists (idempotent across restarts) and issues a dev token. */
export async function ensureLocalDemo(service: AppService, deps: LocalDemoDeps): Promise<LocalDemo | undefined> {
  const app = `${service.owner}/${service.name}`;
  const kind = pickDemoWorkspaceKind(service.appdef);
  if (kind === undefined) return undefined;
  const now = deps.now();
  const ctx: CallContext = { requestId: 'local-demo', principal: demoPrincipal(app, now), ip: '127.0.0.1' };

  const usable = (ws: WorkspaceInfo): boolean => ws.active && ws.kind === kind;
  const remembered = await deps.getDemoWorkspace(app);
  const mine = await service.listWorkspaces(ctx);
  let existing = mine.find((ws) => usable(ws) && ws.wsid === remembered?.wsid);
  // A crash between creating and remembering leaves a workspace named `demo`: adopt it.
  existing ??= mine.find((ws) => usable(ws) && ws.name === DEMO_WORKSPACE_NAME);

  let wsid: number;
  if (existing === undefined) {
    ({ wsid } = await service.createWorkspace(ctx, {
      kind,
      name: DEMO_WORKSPACE_NAME,
      descriptor: buildDescriptor(service.appdef, kind, now),
    }));
  } else {
    wsid = existing.wsid;
  }
  if (remembered?.wsid !== wsid || remembered.kind !== kind) await deps.putDemoWorkspace(app, { wsid, kind });

  const { token, expiresInSeconds } = await deps.issueToken({
    app,
    subject: DEMO_SUBJECT,
    ttlSeconds: DEMO_TOKEN_TTL_SECONDS,
  });
  return {
    app,
    wsid,
    kind,
    reused: existing !== undefined,
    token,
    expiresInSeconds,
    example: buildInsertExample(service.appdef, kind, now),
  };
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The startup banner lines for one app (printed to stdout only, never logged). */
export function formatLocalDemo(demo: LocalDemo, baseUrl: string): string[] {
  const apiBase = `${baseUrl}/api/v2/apps/${demo.app}`;
  const auth = '-H "Authorization: Bearer $TOKEN"';
  const lines = [
    `${demo.app}: demo workspace ${demo.wsid} (${demo.kind})${demo.reused ? '' : ' created'}, principal "${DEMO_SUBJECT}"`,
    `  export TOKEN=${demo.token}`,
    `  # token valid for ${Math.round(demo.expiresInSeconds / 60)} min; restart for a new one`,
  ];
  if (demo.example !== undefined) {
    lines.push(
      `  curl -s ${auth} -H 'Content-Type: application/json' -X POST ${apiBase}/workspaces/${demo.wsid}/docs/${demo.example.table} -d ${shellQuote(JSON.stringify(demo.example.body))}`,
      `  curl -s ${auth} ${apiBase}/workspaces/${demo.wsid}/cdocs/${demo.example.table}`,
    );
  } else {
    lines.push(`  curl -s ${auth} ${apiBase}/workspaces`);
  }
  return lines;
}
