package xzdec

import (
	"errors"
	"fmt"
	"math/bits"
)

// The LZMA decoder of an LZMA2 filter, as the xz file format (1.1.0) and
// XZ Embedded define it. It decodes straight into the block's output
// buffer, which is also the dictionary: no copy from a ring buffer, and
// matches are copied within one slice.

const (
	numStates      = 12
	litStates      = 7 // states below this one follow a literal
	maxPosStates   = 1 << 4
	matchLenMin    = 2
	distStates     = 4
	distSlots      = 64
	distModelStart = 4
	distModelEnd   = 14
	fullDistances  = 1 << (distModelEnd >> 1)
	alignBits      = 4
	alignSize      = 1 << alignBits
	literalCoder   = 0x300
	maxLiteralBits = 4 // LZMA2 limits lc + lp to 4

	probInit  = 1 << 10
	probBits  = 11
	moveBits  = 5
	rangeTop  = 1 << 24
	maxSymbol = 64 // input bytes one symbol can consume, at most (about 60 bits)
)

var errCorrupt = errors.New("corrupt LZMA2 data")

type lenDecoder struct {
	choice, choice2 uint16
	low             [maxPosStates][8]uint16
	mid             [maxPosStates][8]uint16
	high            [256]uint16
}

// lzma is the state that LZMA2 chunks carry from one to the next until a
// state reset.
type lzma struct {
	lc, litPosMask, posMask uint32
	state                   uint32
	rep0, rep1, rep2, rep3  uint32

	isMatch    [numStates * maxPosStates]uint16
	isRep      [numStates]uint16
	isRep0     [numStates]uint16
	isRep1     [numStates]uint16
	isRep2     [numStates]uint16
	isRep0Long [numStates * maxPosStates]uint16
	distSlot   [distStates][distSlots]uint16
	// distSpecial holds the reverse bit trees of slots 4 to 13, indexed
	// as XZ Embedded does: (initial rep0) - slot - 1 + symbol.
	distSpecial [fullDistances - distModelEnd]uint16
	distAlign   [alignSize]uint16
	matchLen    lenDecoder
	repLen      lenDecoder
	literal     [literalCoder << maxLiteralBits]uint16
}

// setProps sets lc, lp and pb from an LZMA2 properties byte.
func (s *lzma) setProps(props byte) error {
	if props > (4*5+4)*9+8 {
		return fmt.Errorf("%w: properties byte %#x", errCorrupt, props)
	}
	p := uint32(props)
	pb := p / 45
	p -= pb * 45
	lp := p / 9
	lc := p - lp*9
	if lc+lp > maxLiteralBits {
		return fmt.Errorf("%w: lc %d + lp %d exceeds 4", errCorrupt, lc, lp)
	}
	s.lc, s.litPosMask, s.posMask = lc, 1<<lp-1, 1<<pb-1
	return nil
}

// reset is a state reset: probabilities to one half, distances to 1
// (stored as 0), state 0.
func (s *lzma) reset() {
	s.state, s.rep0, s.rep1, s.rep2, s.rep3 = 0, 0, 0, 0, 0
	fill := func(p []uint16) {
		for i := range p {
			p[i] = probInit
		}
	}
	fill(s.isMatch[:])
	fill(s.isRep[:])
	fill(s.isRep0[:])
	fill(s.isRep1[:])
	fill(s.isRep2[:])
	fill(s.isRep0Long[:])
	for i := range s.distSlot {
		fill(s.distSlot[i][:])
	}
	fill(s.distSpecial[:])
	fill(s.distAlign[:])
	for _, l := range []*lenDecoder{&s.matchLen, &s.repLen} {
		l.choice, l.choice2 = probInit, probInit
		for i := range l.low {
			fill(l.low[i][:])
			fill(l.mid[i][:])
		}
		fill(l.high[:])
	}
	// Only the coders lc and lp can select are ever read.
	fill(s.literal[:literalCoder<<(s.lc+uint32(bits.OnesCount32(s.litPosMask)))])
}

// rcBit decodes one bit with probability *p. The range coder's state is
// passed in and out by value so that, once inlined, it lives in registers.
// in is padded (see decodeChunk), so ip may run past the chunk's data by
// less than maxSymbol bytes between checks.
func rcBit(rng, code uint32, in []byte, ip int, p *uint16) (uint32, uint32, int, uint32) {
	if rng < rangeTop {
		rng <<= 8
		code = code<<8 | uint32(in[ip])
		ip++
	}
	prob := uint32(*p)
	bound := (rng >> probBits) * prob
	if code < bound {
		*p = uint16(prob + (1<<probBits-prob)>>moveBits)
		return bound, code, ip, 0
	}
	*p = uint16(prob - prob>>moveBits)
	return rng - bound, code - bound, ip, 1
}

// decodeChunk decodes one LZMA chunk. in is the chunk's compressed data
// followed by at least maxSymbol padding bytes; n is the length of the
// data itself. It writes out[pos:end]; dictStart is where the dictionary
// was last reset and dictSize the dictionary size of the filter.
func (s *lzma) decodeChunk(in []byte, n int, out []byte, pos, end, dictStart int, dictSize uint32) error {
	if n < 5 || in[0] != 0 {
		return fmt.Errorf("%w: bad range coder start", errCorrupt)
	}
	rng := uint32(0xFFFFFFFF)
	code := uint32(in[1])<<24 | uint32(in[2])<<16 | uint32(in[3])<<8 | uint32(in[4])
	ip := 5
	out = out[:end]
	state := s.state
	rep0, rep1, rep2, rep3 := s.rep0, s.rep1, s.rep2, s.rep3
	lc, litPosMask, posMask := s.lc, s.litPosMask, s.posMask
	var b uint32
	for pos < end {
		if ip > n {
			return fmt.Errorf("%w: chunk data ends early", errCorrupt)
		}
		posState := uint32(pos-dictStart) & posMask
		rng, code, ip, b = rcBit(rng, code, in, ip, &s.isMatch[state<<4|posState])
		if b == 0 {
			// A literal, coded with the previous byte and the position.
			var prev uint32
			if pos > dictStart {
				prev = uint32(out[pos-1])
			}
			base := ((uint32(pos-dictStart)&litPosMask)<<lc + prev>>(8-lc)) * literalCoder
			probs := s.literal[base : base+literalCoder : base+literalCoder]
			sym := uint32(1)
			if state < litStates {
				for sym < 0x100 {
					rng, code, ip, b = rcBit(rng, code, in, ip, &probs[sym])
					sym = sym<<1 | b
				}
			} else {
				// A literal after a match is coded against the byte at
				// the match distance until the first differing bit.
				d := int(rep0) + 1
				if d > pos-dictStart {
					return fmt.Errorf("%w: distance beyond the dictionary", errCorrupt)
				}
				matchByte := uint32(out[pos-d]) << 1
				offset := uint32(0x100)
				for sym < 0x100 {
					matchBit := matchByte & offset
					matchByte <<= 1
					rng, code, ip, b = rcBit(rng, code, in, ip, &probs[offset+matchBit+sym])
					sym = sym<<1 | b
					if b != 0 {
						offset = matchBit
					} else {
						offset &^= matchBit
					}
				}
			}
			out[pos] = byte(sym)
			pos++
			switch {
			case state < 4:
				state = 0
			case state < 10:
				state -= 3
			default:
				state -= 6
			}
			continue
		}

		var length uint32
		rng, code, ip, b = rcBit(rng, code, in, ip, &s.isRep[state])
		if b == 0 {
			// A match with a new distance.
			if state < litStates {
				state = 7
			} else {
				state = 10
			}
			rep3, rep2, rep1 = rep2, rep1, rep0
			rng, code, ip, length = decodeLen(rng, code, in, ip, &s.matchLen, posState)
			ds := length
			if ds > distStates-1 {
				ds = distStates - 1
			}
			probs := &s.distSlot[ds]
			slot := uint32(1)
			for slot < distSlots {
				rng, code, ip, b = rcBit(rng, code, in, ip, &probs[slot])
				slot = slot<<1 | b
			}
			slot -= distSlots
			if slot < distModelStart {
				rep0 = slot
			} else {
				limit := slot>>1 - 1
				rep0 = (2 | slot&1) << limit
				if slot < distModelEnd {
					base := rep0 - slot - 1
					sym := uint32(1)
					for i := uint32(0); i < limit; i++ {
						rng, code, ip, b = rcBit(rng, code, in, ip, &s.distSpecial[base+sym])
						sym = sym<<1 | b
						rep0 += b << i
					}
				} else {
					var direct uint32
					for i := limit - alignBits; i > 0; i-- {
						if rng < rangeTop {
							rng <<= 8
							code = code<<8 | uint32(in[ip])
							ip++
						}
						rng >>= 1
						code -= rng
						mask := 0 - code>>31
						code += rng & mask
						direct = direct<<1 + mask + 1
					}
					rep0 += direct << alignBits
					sym := uint32(1)
					for i := uint32(0); i < alignBits; i++ {
						rng, code, ip, b = rcBit(rng, code, in, ip, &s.distAlign[sym&15])
						sym = sym<<1 | b
						rep0 += b << i
					}
				}
			}
		} else {
			rng, code, ip, b = rcBit(rng, code, in, ip, &s.isRep0[state])
			if b == 0 {
				rng, code, ip, b = rcBit(rng, code, in, ip, &s.isRep0Long[state<<4|posState])
				if b == 0 {
					// A short rep: one byte from distance rep0.
					if state < litStates {
						state = 9
					} else {
						state = 11
					}
					d := int(rep0) + 1
					if d > pos-dictStart || rep0 >= dictSize {
						return fmt.Errorf("%w: distance %d beyond the dictionary", errCorrupt, d)
					}
					out[pos] = out[pos-d]
					pos++
					continue
				}
			} else {
				var d uint32
				rng, code, ip, b = rcBit(rng, code, in, ip, &s.isRep1[state])
				if b == 0 {
					d = rep1
				} else {
					rng, code, ip, b = rcBit(rng, code, in, ip, &s.isRep2[state])
					if b == 0 {
						d = rep2
					} else {
						d = rep3
						rep3 = rep2
					}
					rep2 = rep1
				}
				rep1 = rep0
				rep0 = d
			}
			if state < litStates {
				state = 8
			} else {
				state = 11
			}
			rng, code, ip, length = decodeLen(rng, code, in, ip, &s.repLen, posState)
		}

		// Copy length+2 bytes from distance rep0+1.
		d := int(rep0) + 1
		if d > pos-dictStart || rep0 >= dictSize {
			return fmt.Errorf("%w: distance %d beyond the dictionary", errCorrupt, d)
		}
		l := int(length) + matchLenMin
		if l > end-pos {
			return fmt.Errorf("%w: match runs past the chunk", errCorrupt)
		}
		if d >= l {
			copy(out[pos:pos+l], out[pos-d:])
		} else {
			// Overlapping: the copy repeats the last d bytes.
			src := pos - d
			for i := 0; i < l; i++ {
				out[pos+i] = out[src+i]
			}
		}
		pos += l
	}
	// The encoder flushes the range coder, so the chunk ends exactly
	// here with nothing left in code.
	if rng < rangeTop {
		code = code<<8 | uint32(in[ip])
		ip++
	}
	if ip != n || code != 0 {
		return fmt.Errorf("%w: chunk does not end where its header says", errCorrupt)
	}
	s.state = state
	s.rep0, s.rep1, s.rep2, s.rep3 = rep0, rep1, rep2, rep3
	return nil
}

// decodeLen decodes a match length minus matchLenMin.
func decodeLen(rng, code uint32, in []byte, ip int, l *lenDecoder, posState uint32) (uint32, uint32, int, uint32) {
	var b uint32
	var probs []uint16
	var base, limit uint32
	rng, code, ip, b = rcBit(rng, code, in, ip, &l.choice)
	if b == 0 {
		probs, base, limit = l.low[posState&15][:], 0, 8
	} else {
		rng, code, ip, b = rcBit(rng, code, in, ip, &l.choice2)
		if b == 0 {
			probs, base, limit = l.mid[posState&15][:], 8, 8
		} else {
			probs, base, limit = l.high[:], 16, 256
		}
	}
	sym := uint32(1)
	for sym < limit {
		rng, code, ip, b = rcBit(rng, code, in, ip, &probs[sym])
		sym = sym<<1 | b
	}
	return rng, code, ip, base + sym - limit
}
