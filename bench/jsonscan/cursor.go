package jsonscan

// Cursor walks JSON in one pass: it enters objects, reads keys, and either
// returns a member's raw value or steps over it, so that a nested field can
// be reached without scanning the enclosing object more than once.
//
//	c := jsonscan.NewCursor(b)
//	for c.Enter(); ; {
//		key, ok := c.Key()
//		if !ok { break }
//		switch string(key) {
//		case "id":   id = c.Value()
//		case "data": ... c.Enter(); for { k, ok := c.Key(); ... } ...
//		default:     c.Skip()
//		}
//	}
//	if c.Err() != nil { ... }
//
// After Key returns a key, exactly one of Value, Skip or Enter must consume
// its value. Key returns false at the end of the current object (consuming
// its closing brace) or on an error.
type Cursor struct {
	b   []byte
	i   int
	err error
	// first[d] is set just after Enter, before the first key of the
	// object at depth d; depth counts entered objects.
	first [maxDepth]bool
	depth int
}

// maxDepth bounds how deep Enter may go.
const maxDepth = 32

// NewCursor starts a cursor at the beginning of b.
func NewCursor(b []byte) Cursor { return Cursor{b: b} }

// Err returns the first syntax error met.
func (c *Cursor) Err() error { return c.err }

func (c *Cursor) fail() {
	if c.err == nil {
		c.err = ErrSyntax
	}
	c.i = len(c.b)
}

// Enter consumes the '{' of the value at the cursor.
func (c *Cursor) Enter() bool {
	if c.err != nil {
		return false
	}
	c.i = skipWS(c.b, c.i)
	if c.i >= len(c.b) || c.b[c.i] != '{' {
		c.fail()
		return false
	}
	if c.depth == maxDepth {
		c.fail()
		return false
	}
	c.i++
	c.first[c.depth] = true
	c.depth++
	return true
}

// Key reads the next key of the current object.
func (c *Cursor) Key() ([]byte, bool) {
	if c.err != nil || c.depth == 0 {
		return nil, false
	}
	b := c.b
	i := skipWS(b, c.i)
	top := c.depth - 1
	if i < len(b) && b[i] == '}' {
		c.i = i + 1
		c.depth--
		return nil, false
	}
	if !c.first[top] {
		if i >= len(b) || b[i] != ',' {
			c.fail()
			return nil, false
		}
		i = skipWS(b, i+1)
	}
	c.first[top] = false
	if i >= len(b) || b[i] != '"' {
		c.fail()
		return nil, false
	}
	end := skipString(b, i)
	if end < 0 {
		c.fail()
		return nil, false
	}
	key := b[i+1 : end-1]
	i = skipWS(b, end)
	if i >= len(b) || b[i] != ':' {
		c.fail()
		return nil, false
	}
	c.i = i + 1
	return key, true
}

// Value consumes the value at the cursor and returns it raw.
func (c *Cursor) Value() []byte {
	if c.err != nil {
		return nil
	}
	i := skipWS(c.b, c.i)
	end := skipValue(c.b, i)
	if end < 0 {
		c.fail()
		return nil
	}
	c.i = end
	return c.b[i:end]
}

// Skip consumes the value at the cursor.
func (c *Cursor) Skip() { c.Value() }

// SkipRest consumes the rest of the current object.
func (c *Cursor) SkipRest() {
	for {
		if _, ok := c.Key(); !ok {
			return
		}
		c.Skip()
	}
}
