import { readFileSync } from 'node:fs'
import { Admin } from '@platformatic/kafka'
const c = JSON.parse(readFileSync('/tmp/sec-try/security/client.json','utf8'))
const port = Number(process.argv[2])
async function probe(name: string, opts: any) {
  const t = Date.now()
  const admin = new Admin({ clientId: 'p', bootstrapBrokers: [`127.0.0.1:${port}`], retries: 0, ...opts })
  try { const m = await admin.metadata({ topics: [] }); console.log(name, 'OK', m.brokers.size, Date.now()-t) }
  catch (e: any) { console.log(name, 'ERR', Date.now()-t, e.code, e.message, e.errors?.map((x: any)=>[x.code,x.message, x.cause?.code, x.cause?.message])) }
  finally { await admin.close().catch(()=>{}) }
}
const ca = readFileSync(c.caFile)
await probe('good', { tls: { ca }, sasl: { mechanism: c.mechanism, username: c.username, password: c.password } })
await probe('256', { tls: { ca }, sasl: { mechanism: 'SCRAM-SHA-256', username: c.username, password: c.password } })
await probe('badpw', { tls: { ca }, sasl: { mechanism: c.mechanism, username: c.username, password: 'nope' } })
await probe('plainmech', { tls: { ca }, sasl: { mechanism: 'PLAIN', username: c.username, password: c.password } })
await probe('untrusted', { tls: { ca: readFileSync(c.otherCaFile) }, sasl: { mechanism: c.mechanism, username: c.username, password: c.password } })
await probe('hostname', { tls: { ca, servername: 'wrong.example' }, sasl: { mechanism: c.mechanism, username: c.username, password: c.password } })
