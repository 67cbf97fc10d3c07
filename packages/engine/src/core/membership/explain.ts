/**
 * ACL explain for app developers (owner only): the evaluator's decision for the given roles (default:
 * the caller's own) on one operation, with the rule that decided it and why.
 */
import { describeRule } from '@stoa/auth';
import { AppError } from '@stoa/errors';
import type { AclPrivilege } from '@stoa/vsql';
import type { AppRuntime } from '../app-runtime.js';
import type { CallContext } from '../service.js';
import type { AclExplainInput, AclExplanation } from './api.js';
import { requireOwner } from './common.js';

const PRIVILEGES: readonly AclPrivilege[] = ['select', 'insert', 'update', 'activate', 'deactivate', 'execute'];

export async function explainAcl(
  app: AppRuntime,
  ctx: CallContext,
  wsid: number,
  input: AclExplainInput,
): Promise<AclExplanation> {
  const access = await requireOwner(app, ctx, wsid, 'explain the ACL');
  if (!PRIVILEGES.includes(input.privilege)) {
    throw new AppError('VALIDATION_FAILED', `privilege: expected one of ${PRIVILEGES.join(', ')}`, {
      data: { field: 'privilege' },
    });
  }
  const roles = input.roles ?? access.roles;
  roles.forEach((r, i) => {
    if (app.appdef.roles[r] === undefined)
      throw new AppError('VALIDATION_FAILED', `roles[${i}]: unknown role ${r}`, { data: { field: `roles[${i}]` } });
  });
  const kind = access.meta.kind;
  const d = app.acl.evaluate({
    workspace: kind,
    roles,
    privilege: input.privilege,
    resource: input.resource,
    ...(input.fields === undefined || input.fields.length === 0 ? {} : { fields: input.fields }),
  });
  const rule = d.rule;
  return {
    allowed: d.allowed,
    fields: d.fields,
    rule:
      rule === undefined
        ? null
        : {
            op: rule.op,
            privileges: rule.privileges,
            on: rule.on,
            ...(rule.columns === undefined ? {} : { columns: rule.columns }),
            principal: rule.principal,
            workspace: rule.workspace,
            loc: rule.loc ?? null,
            text: describeRule(rule),
          },
    reason: d.reason,
    roles: app.acl.expandRoles(kind, roles),
  };
}
