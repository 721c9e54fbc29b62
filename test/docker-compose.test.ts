// docker-compose.yml cannot run here (no Docker engine), so its structure is checked instead:
// services, images, ports, environment, healthchecks and the files it mounts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ENV_OVERRIDES } from '../config/load';

interface Service {
  image?: string;
  build?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

const root = join(__dirname, '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;

test('the current official Temporal layout on PostgreSQL, with no deprecated auto-setup image', () => {
  expect(services.postgresql!.image).toBe('postgres:16');
  expect(services['temporal-admin-tools']!.image).toMatch(/^temporalio\/admin-tools:1\.29/);
  expect(services.temporal!.image).toMatch(/^temporalio\/server:1\.29/);
  expect(services['temporal-ui']!.image).toMatch(/^temporalio\/ui:/);
  for (const service of Object.values(services)) expect(service.image ?? '').not.toContain('auto-setup');
  expect(services.temporal!.depends_on!['temporal-admin-tools']!.condition).toBe(
    'service_completed_successfully',
  );
  expect(services.temporal!.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
});

test('Reflex worker and server are separate services on the same image', () => {
  const worker = services['reflex-worker']!;
  const server = services['reflex-server']!;
  expect(worker.command).toEqual(['node', 'dist/cli/main.js', 'worker']);
  expect(server.command).toEqual(['node', 'dist/cli/main.js', 'server']);
  expect(worker.image).toBe(server.image);
  expect(worker.ports).toBeUndefined(); // workers scale out: no fixed host port
  expect(server.ports).toContain('8080:8080');
  expect(services['temporal-ui']!.ports).toContain('127.0.0.1:8233:8080');
});

test('Reflex services are wired to the cluster, the database and an SMTP relay', () => {
  for (const name of ['reflex-worker', 'reflex-server']) {
    const env = services[name]!.environment!;
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(env.DATABASE_URL).toMatch(/^postgres:\/\/temporal:.*@postgresql:5432\/reflex$/);
    // Every variable set is one Reflex reads.
    for (const key of Object.keys(env))
      expect([...Object.keys(ENV_OVERRIDES), 'REFLEX_CONFIG', 'NODE_OPTIONS']).toContain(key);
  }
  expect(services['reflex-worker']!.environment!.SMTP_URL).toMatch(/SMTP_URL/);
  expect(services['reflex-worker']!.environment!.NODE_OPTIONS).toMatch(/--max-old-space-size=\d+/);
  expect(services['reflex-worker']!.environment!.NODE_OPTIONS).toMatch(/--max-semi-space-size=\d+/);
});

test('every long-running service has a healthcheck, and Reflex checks /readyz', () => {
  for (const name of ['postgresql', 'temporal', 'reflex-worker', 'reflex-server']) {
    expect(services[name]!.healthcheck?.test.length).toBeGreaterThan(0);
  }
  expect(services['reflex-server']!.healthcheck!.test.join(' ')).toContain('/readyz');
  expect(services['reflex-worker']!.healthcheck!.test.join(' ')).toContain('/readyz');
});

test('the files it mounts and builds from exist', () => {
  expect(existsSync(join(root, 'deploy/temporal/setup-postgres.sh'))).toBe(true);
  expect(existsSync(join(root, 'deploy/temporal/create-namespace.sh'))).toBe(true);
  expect(existsSync(join(root, 'deploy/temporal/dynamicconfig/production.yaml'))).toBe(true);
  expect(existsSync(join(root, 'Dockerfile'))).toBe(true);
  expect(existsSync(join(root, 'dist/cli/main.js'))).toBe(true);
  expect(readFileSync(join(root, 'deploy/temporal/setup-postgres.sh'), 'utf8')).toContain(
    '--db reflex create',
  );
});
