import { createConfig } from '@stoa/eslint-config';

export default createConfig({ tsconfigRootDir: import.meta.dirname });
