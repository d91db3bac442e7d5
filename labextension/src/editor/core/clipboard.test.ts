import { describe, expect, it } from 'vitest';

import { copyNodes, parseClipboard, pasteNodes } from './clipboard';
import { readGraph } from './graph';

const SOURCE = `# keep me
id: c
nodes:
  - id: fetch
    action: http.request
    parameters: {url: "http://x"}
    retry: {max_attempts: 2}
    ui: {x: 0, y: 0}
  - id: log
    action: log
    parameters: {message: "{{ $nodes.fetch.result }}", raw: {$expr: "$nodes.fetch.result"}}
    ui: {x: 0, y: 100}
  - id: other
    action: log
    parameters: {message: "{{ $nodes.fetch.result }}"}
connections:
  - {from: fetch, to: log, condition: "$nodes.fetch.ok"}
  - {from: log, to: other}
`;

describe('copy and paste', () => {
  it('pastes fresh ids, keeps connections among the copies and rewires their references', () => {
    const copied = copyNodes(SOURCE, ['fetch', 'log'], new Map());
    const content = parseClipboard(JSON.stringify(copied));
    expect(content).not.toBeNull();
    const { text, ids } = pasteNodes(SOURCE, 'yaml', content!);
    expect(ids).toEqual(['fetch_2', 'log_2']);
    const graph = readGraph(text);
    expect(graph.nodes.map(n => n.id)).toEqual(['fetch', 'log', 'other', 'fetch_2', 'log_2']);
    const pasted = graph.nodes[4];
    expect(pasted.parameters).toEqual({
      message: '{{ $nodes.fetch_2.result }}',
      raw: { $expr: '$nodes.fetch_2.result' }
    });
    expect(pasted.position).toEqual({ x: 40, y: 140 });
    expect(graph.connections.slice(2)).toEqual([
      { from: 'fetch_2', to: 'log_2', condition: '$nodes.fetch_2.ok', index: 2 }
    ]);
    expect(text.startsWith(SOURCE.slice(0, SOURCE.indexOf('connections:')).trimEnd())).toBe(true);
    expect(text).toContain('retry: {max_attempts: 2}');
  });

  it('ignores clipboard text that is not copied nodes', () => {
    expect(parseClipboard('hello')).toBeNull();
    expect(parseClipboard('{"kind": "other"}')).toBeNull();
  });
});
