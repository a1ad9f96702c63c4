import { describe, expect, test } from 'vitest'
import { FaustusError, ValidationError } from '../../src/errors.ts'
import {
  any,
  bool,
  date,
  float,
  int,
  isRecordClass,
  list,
  literal,
  map,
  optional,
  RecordRegistry,
  record,
  records,
  str,
} from '../../src/models/index.ts'

function validationError(fn: () => unknown): ValidationError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError)
    return error as ValidationError
  }
  throw new Error('expected a ValidationError')
}

const Point = record('geo.Point', { x: float(), y: float() })
const Shape = record('geo.Shape', {
  name: str(),
  points: list(Point),
  labels: map(str()),
  kind: literal('poly', 'line'),
  closed: optional(bool(), { default: false }),
  meta: optional(any<{ tag: string }>()),
})

describe('statics', () => {
  test('namespace, short name, class name and registration', () => {
    expect(Shape.namespace).toBe('geo.Shape')
    expect(Shape.shortName).toBe('Shape')
    expect(Shape.name).toBe('Shape')
    expect(records.get('geo.Shape')).toBe(Shape)
    expect(isRecordClass(Shape)).toBe(true)
    expect(isRecordClass({})).toBe(false)
  })

  test('fields are FieldRefs naming Model.field, as Faust repartition topics do', () => {
    expect(Shape.fields.name.name).toBe('name')
    expect(Shape.fields.name.qualifiedName).toBe('Shape.name')
    expect(Shape.fields.points.record).toBe(Shape)
    expect(Object.keys(Shape.fields)).toEqual(['name', 'points', 'labels', 'kind', 'closed', 'meta'])
  })

  test('schema is a JSON Schema of the wire form', () => {
    const schema = JSON.parse(JSON.stringify(Shape.schema))
    expect(schema.type).toBe('object')
    expect(schema.title).toBe('geo.Shape')
    expect(schema.required).toEqual(['name', 'points', 'labels', 'kind'])
    expect(schema.properties.points.items.properties.x.type).toBe('number')
  })
})

describe('construction', () => {
  test('defaults apply, optionals without default are null', () => {
    const shape = new Shape({ name: 's', points: [{ x: 1, y: 2 }], labels: {}, kind: 'line' })
    expect(shape.closed).toBe(false)
    expect(shape.meta).toBeNull()
    expect(shape.points[0]).toBeInstanceOf(Point)
  })

  test('explicit null takes the default too', () => {
    const shape = new Shape({ name: 's', points: [], labels: {}, kind: 'line', closed: null })
    expect(shape.closed).toBe(false)
  })

  test('a function default is called for each instance', () => {
    const Bag = record('t.Bag', { items: optional(list(int()), { default: () => [] }) })
    const a = new Bag({})
    const b = new Bag({})
    expect(a.items).toEqual([])
    expect(a.items).not.toBe(b.items)
  })

  test('a wrong type names the field', () => {
    const error = validationError(() => new Point({ x: 1, y: 'two' as never }))
    expect(error.code).toBe('FST_VALIDATION')
    expect(error.field).toBe('y')
    expect(error.message).toContain('field "y"')
    expect(error.message).toContain('geo.Point')
  })

  test('a missing field names the field', () => {
    expect(validationError(() => new Point({ x: 1 } as never)).field).toBe('y')
  })

  test('an unknown field is rejected', () => {
    const error = validationError(() => new Point({ x: 1, y: 2, z: 3 } as never))
    expect(error.field).toBe('z')
    expect(error.message).toContain('Unexpected property')
  })

  test('a nested failure names the path through lists and maps', () => {
    const Deep = record('t.Deep', { shapes: map(list(Point)) })
    const error = validationError(
      () =>
        new Deep({
          shapes: {
            a: [
              { x: 1, y: 1 },
              { x: 1, y: 'no' as never },
            ],
          },
        }),
    )
    expect(error.field).toBe('shapes.a[1].y')
    const odd = validationError(() => new Deep({ shapes: { 'odd key': [{ x: 1 } as never] } }))
    expect(odd.field).toBe('shapes["odd key"][0].y')
  })

  test('not an object at all', () => {
    expect(validationError(() => new Point(null as never)).message).toContain('Expected object')
  })

  test('non-finite floats and non-integral ints are rejected', () => {
    expect(validationError(() => new Point({ x: Number.NaN, y: 1 })).field).toBe('x')
    const Count = record('t.Count', { n: int() })
    expect(validationError(() => new Count({ n: 1.5 })).field).toBe('n')
  })

  test('dates must be valid Date objects', () => {
    const At = record('t.At', { at: date() })
    expect(validationError(() => new At({ at: new Date(Number.NaN) })).field).toBe('at')
    expect(validationError(() => new At({ at: '2024-01-01' as never })).field).toBe('at')
  })

  test('literal fields accept only their values', () => {
    expect(validationError(() => new Shape({ name: 's', points: [], labels: {}, kind: 'circle' as never })).field).toBe(
      'kind',
    )
  })
})

describe('definitions', () => {
  test('same namespace and same fields re-registers (module reload)', () => {
    const registry = new RecordRegistry()
    const first = record('t.Same', { a: int() }, { registry })
    const second = record('t.Same', { a: int() }, { registry })
    expect(registry.get('t.Same')).toBe(second)
    expect(first).not.toBe(second)
  })

  test('same namespace with different fields is a definition error', () => {
    const registry = new RecordRegistry()
    record('t.Clash', { a: int() }, { registry })
    expect(() => record('t.Clash', { a: str() }, { registry })).toThrow(
      expect.objectContaining({ code: 'FST_APP_DEFINITION' }),
    )
  })

  test('reserved field names and empty namespaces are definition errors', () => {
    for (const name of ['__faust', 'toJSON', 'asDict', 'constructor']) {
      expect(() => record(`t.Reserved${name}`, { [name]: int() })).toThrow(FaustusError)
    }
    expect(() => record('', { a: int() })).toThrow(expect.objectContaining({ code: 'FST_APP_DEFINITION' }))
  })

  test('extend adds fields after the parent ones and keeps instanceof', () => {
    const Point3 = Point.extend('geo.Point3', { z: float() })
    const p = new Point3({ x: 1, y: 2, z: 3 })
    expect(p).toBeInstanceOf(Point)
    expect(p).toBeInstanceOf(Point3)
    expect(Object.keys(p)).toEqual(['x', 'y', 'z'])
    expect(Point3.fields.z.qualifiedName).toBe('Point3.z')
    expect(Point3.fields.x.record).toBe(Point3)
    expect(records.get('geo.Point3')).toBe(Point3)
    expect(p.toJSON().__faust).toEqual({ ns: 'geo.Point3' })
  })

  test('extend may redefine a field in place', () => {
    const Loose = Point.extend('geo.LoosePoint', { y: optional(float(), { default: 0 }) })
    expect(new Loose({ x: 1 }).y).toBe(0)
    expect(Object.keys(Loose.fields)).toEqual(['x', 'y'])
  })
})
