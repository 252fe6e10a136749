import { expect } from 'chai'
import { BoundedMap } from '../src/bounded-map.ts'

describe('bounded map', () => {
  it('holds at most its limit, forgetting the entry set longest ago; setting a key again makes it the newest', () => {
    const map = new BoundedMap<string, number>(3)
    for (const [key, value] of [
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ] as const)
      map.set(key, value)
    map.set('a', 10) // now the newest
    map.set('d', 4) // forgets b, the oldest
    expect([...map]).to.deep.equal([
      ['c', 3],
      ['a', 10],
      ['d', 4],
    ])
    map.set('e', 5)
    expect([...map.keys()]).to.deep.equal(['a', 'd', 'e'])
    expect(map.size).to.equal(3)
  })
})
