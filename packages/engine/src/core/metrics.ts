/** The engine core's prom-client metrics, registered once per registry. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface EngineMetrics {
  readonly commands: Counter<'app' | 'command' | 'status'>;
  readonly commandDuration: Histogram<'app' | 'command'>;
  readonly queueDepth: Gauge<'app' | 'partition'>;
  readonly projectorLag: Gauge<'app' | 'projector' | 'partition'>;
  readonly groupCommitSize: Histogram<'app'>;
  readonly projectorErrors: Counter<'app' | 'projector' | 'partition'>;
}

function metric<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export function createEngineMetrics(registry: Registry): EngineMetrics {
  const registers = [registry];
  return {
    commands: metric(
      registry,
      'stoa_commands_total',
      () =>
        new Counter({
          name: 'stoa_commands_total',
          help: 'Commands executed, by final status',
          labelNames: ['app', 'command', 'status'],
          registers,
        }),
    ),
    commandDuration: metric(
      registry,
      'stoa_command_duration_seconds',
      () =>
        new Histogram({
          name: 'stoa_command_duration_seconds',
          help: 'Command latency from submission to durable response',
          labelNames: ['app', 'command'],
          buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
          registers,
        }),
    ),
    queueDepth: metric(
      registry,
      'stoa_partition_queue_depth',
      () =>
        new Gauge({
          name: 'stoa_partition_queue_depth',
          help: 'Commands waiting in a partition queue',
          labelNames: ['app', 'partition'],
          registers,
        }),
    ),
    projectorLag: metric(
      registry,
      'stoa_projector_lag_events',
      () =>
        new Gauge({
          name: 'stoa_projector_lag_events',
          help: 'PLog events an async projector is behind',
          labelNames: ['app', 'projector', 'partition'],
          registers,
        }),
    ),
    groupCommitSize: metric(
      registry,
      'stoa_group_commit_size',
      () =>
        new Histogram({
          name: 'stoa_group_commit_size',
          help: 'Events written per PLog row (group commit)',
          labelNames: ['app'],
          buckets: [1, 2, 4, 8, 16, 32, 64, 128],
          registers,
        }),
    ),
    projectorErrors: metric(
      registry,
      'stoa_projector_errors_total',
      () =>
        new Counter({
          name: 'stoa_projector_errors_total',
          help: 'Async projector failures (each followed by a retry)',
          labelNames: ['app', 'projector', 'partition'],
          registers,
        }),
    ),
  };
}
