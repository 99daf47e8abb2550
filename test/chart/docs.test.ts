// The values table of charts/amko/README.md: generated from values.yaml and
// values.schema.json (`npm run chart-docs`), up to date, and every value has
// a comment in values.yaml and a type in the schema.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { CHART_DIR, VALUES_BEGIN, VALUES_END, chartReadme, renderValuesTable, valueSections, withValuesTable, type SchemaNode } from '../../scripts/chart-docs.js';

const values = readFileSync(path.join(CHART_DIR, 'values.yaml'), 'utf8');
const schema = JSON.parse(readFileSync(path.join(CHART_DIR, 'values.schema.json'), 'utf8')) as SchemaNode & { properties: Record<string, SchemaNode> };
const rows = () => valueSections(values, schema).flatMap((s) => s.rows);

describe('chart README values table', () => {
  it('charts/amko/README.md is up to date (run `npm run chart-docs` when this fails)', () => {
    assert.equal(readFileSync(path.join(CHART_DIR, 'README.md'), 'utf8'), chartReadme());
  });

  it('every value has a description (the comment above it in values.yaml) and a type from the schema', () => {
    assert.deepEqual(rows().filter((r) => !r.description).map((r) => r.key), []);
    assert.deepEqual(rows().filter((r) => !r.type).map((r) => r.key), []);
  });

  it('lists every value of values.yaml once, down to the keys the schema declares', () => {
    const keys = rows().map((r) => r.key);
    assert.equal(new Set(keys).size, keys.length);
    for (const k of ['replicaCount', 'configs.refreshInterval', 'gdpConfig.trafficSplit', 'resources', 'metrics.prometheusRule.certificateExpiryDays', 'networkPolicy.apiServer.cidrs']) {
      assert.ok(keys.includes(k), k);
    }
    // Free-form maps (labels) are one row, not one row per default entry.
    assert.ok(keys.includes('metrics.grafanaDashboard.labels') && !keys.includes('metrics.grafanaDashboard.labels.grafana_dashboard'));
    // Every top-level key of the schema has a default in values.yaml.
    const top = Object.keys(YAML.parse(values) as object);
    assert.deepEqual(Object.keys(schema.properties).filter((k) => !top.includes(k)), []);
  });

  it('renders types, ranges, enums, defaults and comments; escapes table pipes', () => {
    const table = renderValuesTable(
      [
        '# How many.',
        'count: 2',
        '# The mode | or not.',
        'mode: a',
        'group:',
        '  # First key (the parser puts this comment on the map).',
        '  first: "x"',
        '  # A map the schema does not break down.',
        '  labels: {k: v}',
        '',
      ].join('\n'),
      {
        properties: {
          count: { type: 'integer', minimum: 1, maximum: 10 },
          mode: { enum: ['a', 'b'] },
          group: { type: 'object', properties: { first: { type: 'string' }, labels: { type: 'object' } } },
        },
      },
    );
    assert.equal(
      table,
      [
        '### General',
        '',
        '| Key | Type | Default | Description |',
        '|---|---|---|---|',
        '| `count` | integer (1-10) | `2` | How many. |',
        '| `mode` | one of "a", "b" | `"a"` | The mode \\| or not. |',
        '',
        '### `group`',
        '',
        '| Key | Type | Default | Description |',
        '|---|---|---|---|',
        '| `group.first` | string | `"x"` | First key (the parser puts this comment on the map). |',
        '| `group.labels` | object | `{"k":"v"}` | A map the schema does not break down. |',
        '',
      ].join('\n'),
    );
    assert.equal(withValuesTable(`a\n${VALUES_BEGIN}\nold\n${VALUES_END}\nb\n`, 'T\n'), `a\n${VALUES_BEGIN}\n\nT\n\n${VALUES_END}\nb\n`);
    assert.throws(() => withValuesTable('no markers', 'T'), /markers/);
  });
});
