#!/usr/bin/env node
// Sends a fixed, known set of spans to an OTLP endpoint with the REAL Node.js OpenTelemetry SDK and
// exporters, then prints what it sent (ids it generated, the protocol, SDK diagnostics) as one JSON
// line on stdout. tests/collector/test_node_clients.py compares that, and its own copy of the fixed
// values below, with the rows the daemon stored.
//
//   node send_spans.mjs --protocol grpc|http/protobuf|http/json --endpoint URL --service-name NAME
//                       [--compression none|gzip] [--timeout-ms N]
//                       [--scenario all-types|big-ints|int64-edges]
//
// Every option may come from the environment instead: SEND_SPANS_PROTOCOL, SEND_SPANS_ENDPOINT,
// SEND_SPANS_SERVICE_NAME, SEND_SPANS_COMPRESSION, SEND_SPANS_TIMEOUT_MS, SEND_SPANS_SCENARIO.
// The default scenario, all-types, sends five spans; the others one span each (see SCENARIOS).
// The endpoint is the receiver's base URL (http://127.0.0.1:4318 or, for gRPC, http://127.0.0.1:4317
// or 127.0.0.1:4317); the HTTP exporters get <endpoint>/v1/traces.
//
// Exit status: 0 when every export succeeded; 1 with the error on stderr when an export failed (or
// nothing was exported); 2 for bad arguments.

import { parseArgs } from 'node:util';

import {
  context, createTraceState, diag, DiagLogLevel, ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace,
} from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

const PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'];

function usage(message) {
  process.stderr.write(`send_spans: ${message}\n`);
  process.exit(2);
}

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        protocol: { type: 'string' },
        endpoint: { type: 'string' },
        'service-name': { type: 'string' },
        compression: { type: 'string' },
        'timeout-ms': { type: 'string' },
        scenario: { type: 'string' },
      },
    }));
  } catch (error) {
    usage(error.message);
  }
  const env = process.env;
  const protocol = values.protocol ?? env.SEND_SPANS_PROTOCOL;
  let endpoint = values.endpoint ?? env.SEND_SPANS_ENDPOINT;
  const serviceName = values['service-name'] ?? env.SEND_SPANS_SERVICE_NAME;
  const compression = values.compression ?? env.SEND_SPANS_COMPRESSION ?? 'none';
  const timeoutMillis = Number(values['timeout-ms'] ?? env.SEND_SPANS_TIMEOUT_MS ?? 10000);
  const scenario = values.scenario ?? env.SEND_SPANS_SCENARIO ?? 'all-types';
  if (!PROTOCOLS.includes(protocol)) {
    usage(`--protocol must be one of ${PROTOCOLS.join(', ')}, got ${protocol}`);
  }
  if (!endpoint) usage('--endpoint is required');
  if (!serviceName) usage('--service-name is required');
  if (!['none', 'gzip'].includes(compression)) {
    usage(`--compression must be none or gzip, got ${compression}`);
  }
  if (!Number.isInteger(timeoutMillis) || timeoutMillis <= 0) {
    usage('--timeout-ms must be a positive integer');
  }
  if (scenario !== 'all-types' && !(scenario in SCENARIOS)) {
    usage(`--scenario must be all-types or one of ${Object.keys(SCENARIOS).join(', ')}, got ${scenario}`);
  }
  if (!/^https?:\/\//.test(endpoint)) endpoint = `http://${endpoint}`;
  endpoint = endpoint.replace(/\/+$/, '');
  return { protocol, endpoint, serviceName, compression, timeoutMillis, scenario };
}

function makeExporter({ protocol, endpoint, compression, timeoutMillis }) {
  if (protocol === 'grpc') return new GrpcExporter({ url: endpoint, compression, timeoutMillis });
  const config = { url: `${endpoint}/v1/traces`, compression, timeoutMillis };
  return protocol === 'http/json' ? new JsonExporter(config) : new ProtoExporter(config);
}

// Keeps every export's result so that the exit status can say whether the spans were delivered:
// the batch processor reports a failure only as forceFlush's rejection and to the global error handler.
class RecordingExporter {
  constructor(inner) {
    this.inner = inner;
    this.results = [];
    this.spansExported = 0;
  }

  export(spans, resultCallback) {
    this.inner.export(spans, (result) => {
      this.results.push({ ...result, spans: spans.length });
      if (result.code === ExportResultCode.SUCCESS) this.spansExported += spans.length;
      resultCallback(result);
    });
  }

  forceFlush() {
    return this.inner.forceFlush ? this.inner.forceFlush() : Promise.resolve();
  }

  shutdown() {
    return this.inner.shutdown();
  }
}

// An error as text; OTLPExporterError carries the HTTP status and the response body, which say why.
function describe(error, withStack = false) {
  if (!error) return null;
  let text = withStack && error.stack ? error.stack : String(error);
  if (error.code !== undefined) text += ` (code ${error.code})`;
  if (error.data) text += ` response body: ${error.data}`;
  return text;
}

// SDK warnings and errors (invalid attributes, partial success, export errors) are part of the result.
const diagnostics = [];
diag.setLogger(
  {
    error: (...args) => diagnostics.push(`error: ${args.map(String).join(' ')}`),
    warn: (...args) => diagnostics.push(`warn: ${args.map(String).join(' ')}`),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  },
  DiagLogLevel.WARN,
);

// --- The fixed telemetry. Keep in sync with tests/collector/test_node_clients.py. -------------------
const SECOND = 1767225600; // 2026-01-01T00:00:00Z; every time below is [seconds, nanoseconds]
const T = {
  producerStart: [SECOND, 100000001],
  producerEnd: [SECOND, 200000002],
  rootStart: [SECOND + 1, 123456789],
  rootEvent: [SECOND + 1, 200000003],
  rootEvent2: [SECOND + 1, 300000004],
  clientStart: [SECOND + 1, 400000005],
  clientException: [SECOND + 1, 700000007],
  clientEnd: [SECOND + 1, 800000006],
  renderStart: [SECOND + 1, 850000008],
  renderEnd: [SECOND + 1, 950000009],
  rootEnd: [SECOND + 1, 987654321],
  consumerStart: [SECOND + 2, 1],
  consumerEnd: [SECOND + 2, 999999999],
};
const REMOTE_LINK = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
  traceState: createTraceState('vendor1=alpha,vendor2=beta'),
};
const REMOTE_PARENT = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
  traceState: createTraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'),
};
const ROOT_ATTRIBUTES = {
  'http.request.method': 'GET',
  'url.path': '/api/orders/42',
  'string.empty': '',
  'string.unicode': 'héllo wörld ✓ 日本語 🚀',
  'int.positive': 42,
  'int.negative': -7,
  'int.zero': 0,
  'int.max_safe': Number.MAX_SAFE_INTEGER,
  'int.min_safe': Number.MIN_SAFE_INTEGER,
  'double.pi': 3.14159,
  'double.negative': -0.5,
  'double.tiny': 1e-9,
  'double.sum': 0.1 + 0.2, // 0.30000000000000004: needs all 17 digits
  'double.whole': 2.0, // JavaScript has no 2.0: it is sent as the integer 2
  'bool.true': true,
  'bool.false': false,
  'array.string': ['a', 'b', ''],
  'array.int': [1, -2, 3],
  'array.double': [1.5, -2.25],
  'array.bool': [true, false],
  'array.mixed_numbers': [1, 2.5], // ints and doubles in one number[]
  'array.with_null': ['x', null, 'y'], // null elements become empty AnyValues
  'array.empty': [],
};
// The other scenarios: one INTERNAL span with numbers a JavaScript number holds but JSON may not carry.
// Node's protobuf writer sends an integral number in the int64 range as int_value and anything else as
// double_value; its JSON serializer sends every integral number as a JSON number in intValue, written
// by JSON.stringify in its shortest form (2**60 → 1152921504606847000, 1.5e300 → 1.5e+300).
const SCENARIOS = {
  'big-ints': {
    'int.two_pow_60': 2 ** 60,
    'int.below_two_pow_63': 2 ** 63 - 1024, // the largest double below 2^63
  },
  'int64-edges': {
    'int.min_int64': -(2 ** 63),
    'double.two_pow_63': 2 ** 63,
    'double.huge': 1.5e300,
    'double.max': Number.MAX_VALUE,
  },
};
const SCENARIO_TIME = { start: [SECOND + 3, 5], end: [SECOND + 3, 6] };
// ------------------------------------------------------------------------------------------------

async function main() {
  const opts = options();
  const exporter = new RecordingExporter(makeExporter(opts));
  const resource = defaultResource().merge(
    resourceFromAttributes(
      {
        'service.name': opts.serviceName,
        'service.version': '4.5.6',
        'deployment.environment.name': 'test',
        'process.pid': 4242,
        'test.resource.ratio': 0.25,
        'test.resource.flag': true,
        'test.resource.tags': ['blue', 'green'],
      },
      { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' },
    ),
  );
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 60000 })],
  });
  const tracer = provider.getTracer('weavergen.node-test', '1.2.3', {
    schemaUrl: 'https://opentelemetry.io/schemas/1.28.0',
  });

  const ids = (span) => {
    const ctx = span.spanContext();
    return { trace_id: ctx.traceId, span_id: ctx.spanId };
  };
  const report = { protocol: opts.protocol, compression: opts.compression, scenario: opts.scenario };
  if (opts.scenario === 'all-types') {
    Object.assign(report, emitAllTypes(tracer, ids));
  } else {
    const span = tracer.startSpan(opts.scenario, {
      startTime: SCENARIO_TIME.start,
      attributes: SCENARIOS[opts.scenario],
    });
    span.end(SCENARIO_TIME.end);
    report.spans = { [opts.scenario]: ids(span) };
  }
  await finish(provider, exporter, report, opts);
}

function emitAllTypes(tracer, ids) {
  // A PRODUCER span in its own trace, which the SERVER span links to.
  const producer = tracer.startSpan('orders publish', {
    kind: SpanKind.PRODUCER,
    startTime: T.producerStart,
    attributes: { 'messaging.system': 'kafka', 'messaging.batch.message_count': 3 },
  });
  producer.end(T.producerEnd);

  const root = tracer.startSpan('GET /api/orders/{id}', {
    kind: SpanKind.SERVER,
    startTime: T.rootStart,
    attributes: ROOT_ATTRIBUTES,
    links: [
      { context: producer.spanContext(), attributes: { 'link.kind': 'follows_from', 'link.batch.size': 3 } },
    ],
  });
  root.addEvent(
    'order.validated',
    {
      'order.id': 'A-42',
      'item.count': 3,
      'order.total': 99.95,
      'order.express': true,
      'order.tags': ['x', 'y'],
    },
    T.rootEvent,
  );
  root.addEvent('cache.miss', T.rootEvent2);
  root.addLink({ context: REMOTE_LINK, attributes: { 'link.remote': true } });
  const rootContext = trace.setSpan(context.active(), root);

  const client = tracer.startSpan(
    'GET /inventory',
    {
      kind: SpanKind.CLIENT,
      startTime: T.clientStart,
      attributes: {
        'server.address': 'inventory.internal',
        'server.port': 8080,
        'http.response.status_code': 503,
      },
    },
    rootContext,
  );
  const failure = new Error('connection refused');
  client.recordException(failure, T.clientException);
  client.setStatus({ code: SpanStatusCode.ERROR, message: 'inventory unavailable' });
  client.end(T.clientEnd);

  const render = tracer.startSpan('render', { startTime: T.renderStart }, rootContext); // kind INTERNAL
  render.end(T.renderEnd);

  root.setAttribute('http.response.status_code', 200);
  root.setStatus({ code: SpanStatusCode.OK });
  root.end(T.rootEnd);

  // A CONSUMER span whose parent is remote and carries a tracestate.
  const remoteParent = trace.setSpanContext(ROOT_CONTEXT, REMOTE_PARENT);
  const consumer = tracer.startSpan(
    'orders process',
    {
      kind: SpanKind.CONSUMER,
      startTime: T.consumerStart,
      attributes: { 'messaging.operation.type': 'process' },
    },
    remoteParent,
  );
  consumer.end(T.consumerEnd);

  return {
    spans: {
      producer: ids(producer),
      root: ids(root),
      client: ids(client),
      render: ids(render),
      consumer: ids(consumer),
    },
    exception_stacktrace: failure.stack,
  };
}

async function finish(provider, exporter, report, opts) {
  // The batch processor's forceFlush rejects when an export fails: keep the error for the report.
  let flushError = null;
  try {
    await provider.forceFlush();
  } catch (error) {
    flushError = error;
  }
  try {
    await provider.shutdown();
  } catch (error) {
    flushError ??= error;
  }

  report.exports = exporter.results.map((r) => ({ code: r.code, spans: r.spans, error: describe(r.error) }));
  report.spans_exported = exporter.spansExported;
  report.diagnostics = diagnostics;
  report.flush_error = describe(flushError);
  process.stdout.write(`${JSON.stringify(report)}\n`);

  const failed = exporter.results.filter((r) => r.code !== ExportResultCode.SUCCESS);
  if (flushError || exporter.results.length === 0 || failed.length > 0) {
    const errors = failed.map((r) => describe(r.error, true) ?? 'unknown error');
    if (flushError && !failed.some((r) => r.error === flushError)) errors.push(describe(flushError, true));
    process.stderr.write(
      `send_spans: export over ${opts.protocol} to ${opts.endpoint} failed: ` +
        `${errors.join('\n') || 'nothing was exported'}\n${diagnostics.join('\n')}\n`,
    );
    process.exitCode = 1;
  }
}

main().catch((error) => {
  process.stderr.write(`send_spans: ${error.stack || error}\n`);
  process.exitCode = 1;
});
