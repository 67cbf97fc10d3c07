import { describe, expect, it } from 'vitest';
import { todoBundle } from '../core/test-kit.test-util.js';
import { createBuiltinHost } from './builtin-host.js';

describe('builtin extension host', () => {
  it('loads sys builtins plus the dev builtins an app declares', async () => {
    const loaded = await createBuiltinHost().load(todoBundle());
    await expect(loaded.invoke('sys.CUD', {} as never)).resolves.toBeUndefined();
    await loaded.dispose();
  });

  it('fails the load listing missing and undeclared builtins', async () => {
    const bundle = todoBundle();
    const { ['todo.Stats']: _dropped, ...rest } = bundle.devBuiltins!;
    const broken = { ...bundle, devBuiltins: { ...rest, 'todo.Extra': () => undefined } };
    const err = await createBuiltinHost()
      .load(broken)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BAD_REQUEST' });
    expect((err as Error).message).toContain('declared BUILTIN but missing from the builtins: todo.Stats');
    expect((err as Error).message).toContain('implemented but not declared as BUILTIN extensions: todo.Extra');
  });
});
