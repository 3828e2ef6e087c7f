// The layer rule: each folder of src/ may import only from the layers below it (docs/architecture.md).
import tseslint from 'typescript-eslint';

const layers = [
  // The CLI registers the CI faces' commands (kiln buildkite), so it sits above them.
  ['cli'],
  ['ci'],
  ['executor'],
  ['dockerfile', 'context', 'snapshot', 'run'],
  ['image'],
  ['registry', 'cache'],
  ['auth'],
  ['oci', 'tar'],
  ['util'],
];

function forbiddenFor(level) {
  // Everything at the same level or above, except the folder itself, is off limits.
  return layers.slice(0, level + 1).flat();
}

const layerRules = layers.flatMap((group, level) =>
  group.map((dir) => ({
    files: [`src/${dir}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: forbiddenFor(level)
            .filter((other) => other !== dir)
            .map((other) => ({
              group: [`**/${other}/*`, `**/${other}/**`],
              message: `src/${dir} sits below or beside src/${other} and may not import it (see docs/architecture.md).`,
            })),
        },
      ],
    },
  })),
);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.lab/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...layerRules,
);
