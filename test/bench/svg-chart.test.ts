import { describe, expect, it } from 'vitest';
import { findCrossover, renderLineChart, type ChartSeries } from '../../src/bench/svg-chart.js';
import { xmlProblems } from './xml-check.js';

const bw = [0.1, 0.5, 1, 5];
const original: ChartSeries = { name: 'original', points: bw.map((x, i) => ({ x, y: [2, 8, 14, 20][i]! })) };
const edgstrCrossing: ChartSeries = { name: 'edgstr', points: bw.map((x, i) => ({ x, y: [1, 6, 18, 30][i]! })) };
const edgstrAhead: ChartSeries = { name: 'edgstr', points: bw.map((x, i) => ({ x, y: [9, 12, 18, 30][i]! })) };

describe('findCrossover', () => {
  it('interpolates where a higher-is-better series overtakes the baseline', () => {
    const c = findCrossover(original, edgstrCrossing, 'higher', 'x');
    expect(c).not.toBeNull();
    // d = -2 at 0.5 and +4 at 1: the lines meet a third of the way, at 0.5 + (1 - 0.5) / 3.
    expect(c!.x).toBeCloseTo(0.5 + 0.5 / 3, 6);
    expect(c!.y).toBeCloseTo(6 + 12 / 3, 6);
  });

  it('returns null when one series is better everywhere', () => {
    expect(findCrossover(original, edgstrAhead, 'higher', 'x')).toBeNull();
  });

  it('handles lower-is-better series (latency)', () => {
    const lo: ChartSeries = { name: 'original', points: [{ x: 1, y: 100 }, { x: 2, y: 100 }] };
    const le: ChartSeries = { name: 'edgstr', points: [{ x: 1, y: 150 }, { x: 2, y: 50 }] };
    expect(findCrossover(lo, le, 'lower', 'l')!.x).toBeCloseTo(1.5, 6);
    expect(findCrossover(lo, le, 'higher', 'l')).toBeNull();
  });
});

describe('renderLineChart', () => {
  it('writes well-formed SVG with one polyline per series and the crossover marked and labelled', () => {
    const crossover = findCrossover(original, edgstrCrossing, 'higher', 'edgstr overtakes original ≈ 0.67 MB/s');
    const svg = renderLineChart({ title: 'Throughput <&> "test"', xLabel: 'MB/s', yLabel: 'req/s', xLog: true, series: [original, edgstrCrossing], crossover });
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg).toContain('class="crossover"');
    expect(svg).toContain('edgstr overtakes original ≈ 0.67 MB/s');
    expect(svg).toContain('Throughput &lt;&amp;&gt; &quot;test&quot;');
    // The marker sits between the x positions of 0.5 and 1 MB/s on the log axis.
    const cx = Number(/<g class="crossover">\s*<line x1="([\d.]+)"/.exec(svg)![1]);
    const xOf = (label: string): number => Number(new RegExp(`<text x="([\\d.]+)" y="[\\d.]+" text-anchor="middle">${label}</text>`).exec(svg)![1]);
    expect(cx).toBeGreaterThan(xOf('0.5'));
    expect(cx).toBeLessThan(xOf('1'));
  });

  it('has no crossover marker when the curves do not cross', () => {
    const svg = renderLineChart({ title: 't', xLabel: 'x', yLabel: 'y', xLog: true, series: [original, edgstrAhead], crossover: findCrossover(original, edgstrAhead, 'higher', 'c') });
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).not.toContain('class="crossover"');
  });

  it('survives empty and single-point series', () => {
    const svg = renderLineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', points: [] }, { name: 'b', points: [{ x: 1, y: 0 }] }] });
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).not.toContain('NaN');
  });

  it('the checker itself rejects broken XML', () => {
    expect(xmlProblems('<svg><g></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg><text>a & b</text></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg x=1></svg>')).not.toEqual([]);
  });
});

describe('renderLineChart: markers and dense series (the adaptive scenario plot)', () => {
  it('draws a dashed labelled line per marker and no dots with noDots', () => {
    const series: ChartSeries[] = [{ name: 'adaptive', points: [0, 1, 2, 3].map((x) => ({ x, y: 10 * (x + 1) })) }];
    const svg = renderLineChart({ title: 't', xLabel: 's', yLabel: 'ms', series, markers: [{ x: 0, label: '5 ms' }, { x: 2, label: '300 ms' }], noDots: true });
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg.match(/class="marker"/g)).toHaveLength(2);
    expect(svg).toContain('>300 ms</text>');
    expect(svg).not.toContain('<circle');
    expect(renderLineChart({ title: 't', xLabel: 's', yLabel: 'ms', series })).toContain('<circle');
  });
});
