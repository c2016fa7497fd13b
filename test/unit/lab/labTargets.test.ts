import { describe, expect, it } from 'vitest';
import type { FailoverError } from '../../../src/errors.js';
import { labTargets } from '../../../src/lab/lab.js';
import type { LabSettings } from '../../../src/lab/labConfig.js';

const ONE: LabSettings = { dir: '/lab', kafkaVersion: '4.3.1', secure: false, ports: { east: 19092, west: 29092 }, topics: [], groups: [] };
const THREE: LabSettings = { ...ONE, brokers: 3 };

describe('labTargets: what a name in lab kill|pause|resume|logs stands for', () => {
  it('on a 1-broker lab, the names the lab always had', () => {
    expect(labTargets(ONE, 'kill', 'east')).toEqual(['east']);
    expect(labTargets(ONE, 'kill', 'mm2')).toEqual(['mm2']);
    expect(() => labTargets(ONE, 'pause', 'mm2')).toThrow('cannot pause "mm2"');
    expect(() => labTargets(ONE, 'kill', 'east-2')).toThrow('cannot kill "east-2"');
    expect(() => labTargets(ONE, 'logs', 'north')).toThrow('no lab process "north"');
  });

  it('on a 3-broker lab, a cluster is all its nodes and east-2 is one', () => {
    expect(labTargets(THREE, 'kill', 'east')).toEqual(['east-1', 'east-2', 'east-3']);
    expect(labTargets(THREE, 'pause', 'west')).toEqual(['west-1', 'west-2', 'west-3']);
    expect(labTargets(THREE, 'resume', 'east-2')).toEqual(['east-2']);
    expect(labTargets(THREE, 'logs', 'west-3')).toEqual(['west-3']);
    let hint: string | undefined;
    try {
      labTargets(THREE, 'kill', 'east-4');
    } catch (e) {
      hint = (e as FailoverError).hint;
    }
    expect(hint).toBe('choose one of: east, west, east-1, east-2, east-3, west-1, west-2, west-3, mm2');
  });
});
