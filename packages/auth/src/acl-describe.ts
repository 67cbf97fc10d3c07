import type { AclRule } from '@stoa/vsql';

const KIND_WORDS: Readonly<Record<AclRule['on']['kind'], string>> = {
  table: 'TABLE',
  view: 'VIEW',
  command: 'COMMAND',
  query: 'QUERY',
  role: '',
  allTables: 'ALL TABLES',
  allViews: 'ALL VIEWS',
  allCommands: 'ALL COMMANDS',
  allQueries: 'ALL QUERIES',
};

/** Where a rule is declared: `file:line:column in workspace`, for ACL explanations. */
export function describeRuleLocation(rule: AclRule): string {
  const at = rule.loc === undefined ? '' : `${rule.loc.file}:${rule.loc.line}:${rule.loc.column} `;
  return `${at}in ${rule.workspace}`;
}

/**
 * A rule as VSQL-like text with its source location, e.g.
 * `REVOKE UPDATE ON TABLE shop.Cart FROM shop.Clerk (schema/shop.vsql:159:5 in shop.ShopWS)`.
 */
export function describeRule(rule: AclRule): string {
  const verb = rule.op === 'grant' ? 'GRANT' : 'REVOKE';
  const to = rule.op === 'grant' ? 'TO' : 'FROM';
  const where = describeRuleLocation(rule);
  if (rule.on.kind === 'role') {
    return `${verb} ${rule.on.qnames.join(', ')} ${to} ${rule.principal} (${where})`;
  }
  const cols = rule.columns === undefined ? '' : `(${rule.columns.join(', ')})`;
  const privileges = rule.privileges.map((p) => p.toUpperCase() + cols).join(', ');
  const kind = KIND_WORDS[rule.on.kind];
  const target = rule.on.kind.startsWith('all')
    ? `${kind}${rule.on.tag === undefined ? '' : ` WITH TAG ${rule.on.tag}`}`
    : `${kind} ${rule.on.qnames.join(', ')}`;
  return `${verb} ${privileges} ON ${target} ${to} ${rule.principal} (${where})`;
}
