import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { readGraph } from './graph';
import {
  addConnection,
  addNode,
  moveNodes,
  removeConnections,
  removeNodes,
  renameNode,
  setCondition,
  setNodeField,
  setParameter,
  uniqueNodeId
} from './operations';
import { assign, formatOf, readPath, SourceEditError } from './sourceEdit';

const read = (name: string): string =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

const FILES: Record<string, string> = {
  'greeting.workflow.yaml': readFileSync(
    new URL('../../../../notebooks/greeting.workflow.yaml', import.meta.url),
    'utf8'
  ),
  'etl.workflow.yaml': read('etl.workflow.yaml'),
  'compact.workflow.yml': read('compact.workflow.yml'),
  'pretty.workflow.json': read('pretty.workflow.json'),
  'oneline.workflow.json': read('oneline.workflow.json')
};

const cases = Object.entries(FILES).map(([name, text]) => ({ name, text, format: formatOf(name) }));

function comments(text: string): string[] {
  return text.split('\n').flatMap(line => line.match(/#.*$/)?.[0] ?? []);
}

describe.each(cases)('$name', ({ text, format, name }) => {
  it('writing back every unchanged value changes nothing', () => {
    const graph = readGraph(text);
    expect(graph.nodes.length).toBeGreaterThan(0);
    let out = text;
    for (const node of graph.nodes) {
      out = assign(out, ['nodes', node.index], readPath(out, ['nodes', node.index]), { format });
    }
    for (const connection of graph.connections) {
      const path = ['connections', connection.index];
      out = assign(out, path, readPath(out, path), { format });
    }
    expect(out).toBe(text);
  });

  it('adding then removing a node leaves the text unchanged', () => {
    const graph = readGraph(text);
    const id = uniqueNodeId(graph, 'log');
    const added = addNode(text, format, {
      id,
      action: 'log',
      parameters: { message: 'Hi {{ $input.name }}: a, b', level: 'info' },
      position: { x: 10.4, y: 220 }
    });
    const after = readGraph(added);
    expect(after.nodes.map(n => n.id)).toEqual([...graph.nodes.map(n => n.id), id]);
    expect(after.nodes.at(-1)?.position).toEqual({ x: 10, y: 220 });
    expect(after.nodes.at(-1)?.parameters.message).toBe('Hi {{ $input.name }}: a, b');
    if (format === 'json') {
      expect(() => JSON.parse(added) as unknown).not.toThrow();
    }
    expect(removeNodes(added, format, [id])).toBe(text);
  });

  it('adding then removing a connection leaves the text unchanged', () => {
    const graph = readGraph(text);
    const [first, last] = [graph.nodes[0].id, graph.nodes[graph.nodes.length - 1].id];
    const id = uniqueNodeId(graph, 'extra');
    const withNode = addNode(text, format, { id, action: 'log' });
    const connected = addConnection(withNode, format, first, id, '$nodes.x.ok == true, "a"');
    const added = readGraph(connected).connections.at(-1);
    expect(added).toMatchObject({ from: first, to: id, condition: '$nodes.x.ok == true, "a"' });
    if (format === 'json') {
      expect(() => JSON.parse(connected) as unknown).not.toThrow();
    }
    expect(removeConnections(connected, format, [added?.index ?? -1])).toBe(withNode);
    expect(removeNodes(withNode, format, [id])).toBe(text);
    expect(last).toBeTruthy();
  });

  it('setting then removing a parameter leaves the text unchanged', () => {
    const node = readGraph(text).nodes[0];
    const set = setParameter(text, format, node.id, 'extra', { $expr: '$input.items' });
    expect(readGraph(set).nodes[0].parameters.extra).toEqual({ $expr: '$input.items' });
    expect(setParameter(set, format, node.id, 'extra', undefined)).toBe(text);
  });

  it('moving nodes keeps every comment and touches only positions', () => {
    const graph = readGraph(text);
    const moved = moveNodes(
      text,
      format,
      new Map(graph.nodes.map((n, i) => [n.id, { x: i * 100, y: i * 50.6 }]))
    );
    const again = moveNodes(moved, format, new Map([[graph.nodes[0].id, { x: -5, y: 7 }]]));
    expect(comments(again)).toEqual(comments(text));
    const after = readGraph(again);
    expect(after.nodes.map(n => n.position)).toEqual(
      graph.nodes.map((_, i) =>
        i === 0 ? { x: -5, y: 7 } : { x: i * 100, y: Math.round(i * 50.6) }
      )
    );
    expect({ ...after, nodes: after.nodes.map(n => ({ ...n, position: null })) }).toEqual({
      ...graph,
      nodes: graph.nodes.map(n => ({ ...n, position: null }))
    });
    if (name.endsWith('.json')) {
      expect(() => JSON.parse(again) as unknown).not.toThrow();
    }
  });

  it('removing a node removes its connections', () => {
    const graph = readGraph(text);
    const out = removeNodes(text, format, [graph.nodes[0].id]);
    const after = readGraph(out);
    expect(after.nodes.map(n => n.id)).toEqual(graph.nodes.slice(1).map(n => n.id));
    expect(
      after.connections.some(c => c.from === graph.nodes[0].id || c.to === graph.nodes[0].id)
    ).toBe(false);
  });
});

describe('patching keeps what the user wrote', () => {
  const etl = FILES['etl.workflow.yaml'];

  it('a changed string keeps its quotes and its line', () => {
    const out = setParameter(etl, 'yaml', 'fetch', 'url', 'http://127.0.0.1:2/x');
    expect(out).toBe(etl.replace("'http://127.0.0.1:1/items'", "'http://127.0.0.1:2/x'"));
    const log = setParameter(etl, 'yaml', 'log', 'message', 'ok "{{ $input }}"');
    expect(log).toBe(
      etl.replace('"got {{ $nodes.fetch.result.status }}"', '"ok \\"{{ $input }}\\""')
    );
  });

  it('a condition is edited in place and removed with its line', () => {
    const out = setCondition(etl, 'yaml', 0, '$nodes.fetch.ok');
    expect(out).toBe(etl.replace('"$nodes.fetch.result.status == 200"', '"$nodes.fetch.ok"'));
    const removed = setCondition(etl, 'yaml', 0, null);
    expect(readGraph(removed).connections[0]).toEqual({
      from: 'fetch',
      to: 'log',
      condition: null,
      index: 0
    });
    expect(removed).not.toContain('only on success');
  });

  it('a retry policy merges key by key in its flow mapping', () => {
    const out = setNodeField(etl, 'yaml', 'fetch', 'retry', {
      max_attempts: 5,
      initial_backoff_s: 0.01
    });
    expect(out).toBe(etl.replace('max_attempts: 3', 'max_attempts: 5'));
  });

  it('a first connection turns an empty flow list into a block list', () => {
    const compact = FILES['compact.workflow.yml'];
    const out = addConnection(compact, 'yaml', 'a', 'b');
    expect(out).toBe(compact.replace('connections: []', 'connections:\n  - {from: a, to: b}'));
  });

  it('renaming a node follows its connections and references', () => {
    const out = renameNode(etl, 'yaml', 'fetch', 'download');
    const graph = readGraph(out);
    expect(graph.nodes.map(n => n.id)).toEqual(['download', 'log']);
    expect(graph.connections[0]).toMatchObject({
      from: 'download',
      condition: '$nodes.download.result.status == 200'
    });
    expect(graph.nodes[1].parameters.message).toBe('got {{ $nodes.download.result.status }}');
    expect(comments(out)).toEqual(comments(etl));
  });

  it('refuses duplicate and invalid ids', () => {
    expect(() => addNode(etl, 'yaml', { id: 'fetch', action: 'log' })).toThrow(SourceEditError);
    expect(() => addNode(etl, 'yaml', { id: '1x', action: 'log' })).toThrow(SourceEditError);
    expect(uniqueNodeId(readGraph(etl), 'http.request')).toBe('http_request');
    expect(uniqueNodeId(readGraph(etl), 'fetch')).toBe('fetch_2');
  });

  it('an empty file gets its first node', () => {
    const yaml = addNode('# new\n', 'yaml', { id: 'a', action: 'log' });
    expect(yaml).toBe('# new\nnodes:\n  - id: a\n    action: log\n    parameters: {}\n');
    const json = addNode('', 'json', { id: 'a', action: 'log' });
    expect(JSON.parse(json)).toEqual({ nodes: [{ id: 'a', action: 'log', parameters: {} }] });
  });

  it('JSON edits follow the layout around them', () => {
    const pretty = FILES['pretty.workflow.json'];
    let out = addNode(pretty, 'json', {
      id: 'c',
      action: 'log',
      parameters: { message: 'x' },
      position: { x: 1, y: 2 }
    });
    out = addConnection(out, 'json', 'b', 'c');
    out = setParameter(out, 'json', 'b', 'extra', { deep: [1, 2] });
    expect(out).toBe(
      pretty
        .replace('{"seconds": 1}', '{"seconds": 1, "extra": {"deep": [1, 2]}}')
        .replace(
          '      "parameters": {"seconds": 1, "extra": {"deep": [1, 2]}}\n    }',
          '      "parameters": {"seconds": 1, "extra": {"deep": [1, 2]}}\n    },\n' +
            '    {\n      "id": "c",\n      "action": "log",\n      "parameters": {\n' +
            '        "message": "x"\n      },\n      "ui": {"x": 1, "y": 2}\n    }'
        )
        .replace(
          '{"from": "a", "to": "b"}',
          '{"from": "a", "to": "b"},\n    {"from": "b", "to": "c"}'
        )
    );
  });

  it('a file with no nodes list gets one', () => {
    const out = addNode('id: empty\n', 'yaml', {
      id: 'a',
      action: 'log',
      position: { x: 1, y: 2 }
    });
    expect(out).toBe(
      'id: empty\nnodes:\n  - id: a\n    action: log\n    parameters: {}\n    ui: {x: 1, y: 2}\n'
    );
  });
});
