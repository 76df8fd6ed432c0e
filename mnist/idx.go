package mnist

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// The IDX format (http://yann.lecun.com/exdb/mnist/) starts with a 4-byte
// magic number: two zero bytes, a type code (0x08 = unsigned byte) and the
// number of dimensions; then one big-endian uint32 per dimension; then the
// data in row-major order.
const (
	idxTypeUint8 = 0x08
	// MaxIDXItems bounds the number of items read from one IDX file, so a
	// corrupt header cannot make the reader allocate gigabytes.
	MaxIDXItems = 1_000_000
)

// gzipMagic is the two-byte signature of a gzip stream (RFC 1952).
var gzipMagic = []byte{0x1f, 0x8b}

// IDX is the content of one IDX file of unsigned bytes: its dimensions and
// its data in row-major order. For MNIST images Dims is [N, 28, 28]; for
// labels it is [N].
type IDX struct {
	Dims []int
	Data []uint8
}

// ReadIDXFile reads an IDX file of unsigned bytes, gzip-compressed or plain.
// Errors name the file and the problem.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	defer f.Close()
	idx, err := ReadIDX(f)
	if err != nil {
		return nil, fmt.Errorf("mnist: %s: %w", path, err)
	}
	return idx, nil
}

// ReadIDX reads IDX data of unsigned bytes from r, which may be gzip-compressed
// (detected from its first bytes) or plain.
func ReadIDX(r io.Reader) (*IDX, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	if err == nil && bytes.Equal(head, gzipMagic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("bad gzip data: %w", err)
		}
		defer zr.Close()
		return readIDX(bufio.NewReader(zr))
	}
	return readIDX(br)
}

func readIDX(r io.Reader) (*IDX, error) {
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, fmt.Errorf("reading IDX magic number: %w", describeEOF(err))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("not IDX data, nor gzip: it starts with % x, want 00 00 08 <rank> (IDX) or 1f 8b (gzip)", magic)
	}
	if magic[2] != idxTypeUint8 {
		return nil, fmt.Errorf("unsupported IDX data type 0x%02x: only unsigned bytes (0x08) are supported", magic[2])
	}
	rank := int(magic[3])
	if rank < 1 || rank > 3 {
		return nil, fmt.Errorf("bad IDX rank %d: want 1 (labels) or 3 (images)", rank)
	}
	dims := make([]int, rank)
	total := 1
	for i := range dims {
		var d uint32
		if err := binary.Read(r, binary.BigEndian, &d); err != nil {
			return nil, fmt.Errorf("reading IDX dimension %d: %w", i, describeEOF(err))
		}
		if d == 0 || d > MaxIDXItems {
			return nil, fmt.Errorf("bad IDX dimension %d: %d (want 1 to %d)", i, d, MaxIDXItems)
		}
		dims[i] = int(d)
		total *= int(d)
		if total > MaxIDXItems*28*28 {
			return nil, fmt.Errorf("IDX dimensions %v are too large", dims[:i+1])
		}
	}
	// Read what is there rather than allocating what the header promises, so
	// a corrupt header cannot cost memory the file does not back.
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, int64(total)))
	if err != nil {
		return nil, fmt.Errorf("reading IDX data: %w", describeEOF(err))
	}
	if int(n) < total {
		return nil, fmt.Errorf("truncated IDX data: header %v promises %d bytes, file holds %d", dims, total, n)
	}
	return &IDX{Dims: dims, Data: buf.Bytes()}, nil
}

// describeEOF turns the io package's EOF errors into a plainer message.
func describeEOF(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("file ends too early (truncated or empty)")
	}
	return err
}

// WriteIDX writes idx to w, uncompressed. It is the inverse of [ReadIDX] and
// is used to build test fixtures.
func WriteIDX(w io.Writer, idx *IDX) error {
	header := []byte{0, 0, idxTypeUint8, byte(len(idx.Dims))}
	for _, d := range idx.Dims {
		header = binary.BigEndian.AppendUint32(header, uint32(d))
	}
	if _, err := w.Write(header); err != nil {
		return err
	}
	_, err := w.Write(idx.Data)
	return err
}
