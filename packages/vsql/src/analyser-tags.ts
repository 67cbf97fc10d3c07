// WITH Tags=(…) resolution, shared by tables, views and extensions.

import type { WithItem } from './ast.js';
import type { QName } from './appdef.js';
import type { Analysis, Scope } from './analyser-context.js';

export function resolveTags(a: Analysis, scope: Scope, withItems: WithItem[]): QName[] {
  const out: QName[] = [];
  for (const w of withItems) {
    if (w.kind !== 'WithTags') continue;
    for (const t of w.tags) {
      const decl = a.expect(scope, t, ['tag'], 'tag');
      if (decl && !out.includes(decl.qname)) out.push(decl.qname);
    }
  }
  return out;
}
