package mnist_test

import (
	"bytes"
	"fmt"

	"github.com/godigits/digits/mnist"
)

// An IDX file starts with a magic number (type 0x08, unsigned bytes; 1
// dimension), then its dimensions, then the data.
func ExampleReadIDX() {
	data := []byte{0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1}
	idx, err := mnist.ReadIDX(bytes.NewReader(data))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(idx.Dims, idx.Data)
	// Output: [3] [7 2 1]
}

func ExampleParseMode() {
	for _, s := range []string{"train", "test"} {
		mode, err := mnist.ParseMode(s)
		fmt.Println(mode, err)
	}
	// Output:
	// train <nil>
	//  mnist: unknown mode "test": want train, valid or eval
}

func ExampleLoader() {
	ds, err := mnist.Load("testdata", mnist.Valid)
	if err != nil {
		fmt.Println(err)
		return
	}
	loader, _ := mnist.NewLoader(ds, mnist.LoaderConfig{Layout: mnist.ChannelsFirst})
	for batch := range loader.Epoch(0) {
		fmt.Println(batch.Dims, batch.Labels)
	}
	// Output: [2 1 28 28] [0 1]
}
