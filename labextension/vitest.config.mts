import { defineConfig } from 'vitest/config';

// Unit tests live beside the code as src/**/*.test.ts(x). The default environment is node; a
// test that needs a DOM says so with a `// @vitest-environment jsdom` comment at its top.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    environment: 'node'
  }
});
