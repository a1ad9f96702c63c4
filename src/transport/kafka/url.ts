import { TransportError } from '../../errors.ts'
import { redactUrls } from '../../logging.ts'

export interface BrokerAddress {
  host: string
  port: number
}

/** Parses `kafka://host:port[,host:port...]` (IPv6 hosts in brackets; port 9092 when absent). */
export function parseKafkaUrl(given: string): BrokerAddress[] {
  // Messages and details name the URL with any credentials masked.
  const url = redactUrls(given)
  const match = /^kafka:\/\/([^/?#]+)\/?$/.exec(given.trim())
  if (!match) {
    throw new TransportError('FST_BROKER_URL_INVALID', `broker URL "${url}" is not kafka://host:port[,host:port]`, {
      details: { url },
    })
  }
  if (match[1].includes('@')) {
    throw new TransportError(
      'FST_BROKER_URL_INVALID',
      `broker URL "${url}" carries credentials: give them as the brokerSasl setting instead`,
      { details: { url } },
    )
  }
  const brokers: BrokerAddress[] = []
  for (const part of match[1].split(',')) {
    const hostPort = part.trim()
    if (hostPort === '') continue
    brokers.push(normalizeHostPort(hostPort, url))
  }
  if (brokers.length === 0) {
    throw new TransportError('FST_BROKER_URL_INVALID', `broker URL "${url}" names no broker`, { details: { url } })
  }
  return brokers
}

function normalizeHostPort(hostPort: string, url: string): BrokerAddress {
  // [ipv6]:port, host:port or host
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort)
  const plain = /^([^:]+)(?::(\d+))?$/.exec(hostPort)
  const found = bracketed ?? plain
  if (!found) {
    throw new TransportError('FST_BROKER_URL_INVALID', `broker "${hostPort}" in "${url}" is not host:port`, {
      details: { url },
    })
  }
  const port = found[2] === undefined ? 9092 : Number(found[2])
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TransportError('FST_BROKER_URL_INVALID', `broker "${hostPort}" in "${url}" has an invalid port`, {
      details: { url },
    })
  }
  return { host: found[1], port }
}

/** `host:port,host:port`, for messages. */
export function formatBrokers(brokers: BrokerAddress[]): string {
  return brokers.map((b) => (b.host.includes(':') ? `[${b.host}]:${b.port}` : `${b.host}:${b.port}`)).join(',')
}
