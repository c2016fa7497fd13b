import { describe, expect, it } from 'vitest';
import { parseJavaMajor } from '../../../src/lab/toolchain.js';
import { mm2Pattern, mm2Properties, serverProperties } from '../../../src/lab/templates.js';
import type { LabSettings } from '../../../src/lab/labConfig.js';

describe('parseJavaMajor', () => {
  it('reads modern and legacy version strings', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment')).toBe(17);
    expect(parseJavaMajor('openjdk version "25" 2025-09-16')).toBe(25);
    expect(parseJavaMajor('java version "1.8.0_412"')).toBe(8);
    expect(parseJavaMajor('openjdk version "11.0.2" 2019-01-15')).toBe(11);
    expect(parseJavaMajor('bash: java: command not found')).toBeUndefined();
  });
});

const settings: LabSettings = {
  dir: '/tmp/lab', kafkaVersion: '4.3.1', secure: false, ports: { east: 19092, west: 29092 },
  topics: ['orders', 'failover.probe', '/it-.*/'], groups: ['billing', '/it-.*/'],
};

describe('lab templates', () => {
  it('escapes literal topic names for MM2 and passes /regex/ entries through', () => {
    expect(mm2Pattern('failover.probe')).toBe('failover\\.probe');
    expect(mm2Pattern('/it-.*/')).toBe('it-.*');
    const props = mm2Properties(settings);
    // Java properties read `\\` as one backslash, so MM2 sees failover\.probe.
    expect(props).toContain('topics=orders,failover\\\\.probe,it-.*');
    expect(props).toContain('groups=billing,it-.*');
    expect(props).toContain('east.offset.flush.interval.ms=1000');
    expect(props).toContain('west.offset.flush.interval.ms=1000');
  });

  it('plain broker: one client listener on loopback, KRaft controller on the next port', () => {
    const p = serverProperties(settings, 'east', '/tmp/lab/east/data');
    expect(p).toContain('listeners=CLIENT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(p).toContain('controller.quorum.voters=1@127.0.0.1:19093');
    expect(p).not.toContain('authorizer.class.name');
  });

  it('secure broker: SCRAM on the client listener, an authorizer unless told otherwise', () => {
    const secrets = { admin: 'a-pw', mm2: 'm-pw', 'orders-svc': 'o-pw', billing: 'b-pw' };
    const secure = { ...settings, secure: true };
    const east = serverProperties(secure, 'east', '/d', secrets);
    expect(east).toContain('listener.name.client.sasl.enabled.mechanisms=SCRAM-SHA-256');
    expect(east).toContain('authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(east).toContain('allow.everyone.if.no.acl.found=false');
    const west = serverProperties({ ...secure, withoutAuthorizer: ['west'] }, 'west', '/d', secrets);
    expect(west).not.toContain('authorizer.class.name');
    expect(west).toContain('SASL_PLAINTEXT');
  });
});
