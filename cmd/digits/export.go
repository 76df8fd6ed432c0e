package main

import (
	"fmt"
	"os"

	"github.com/godigits/digits/mnist"
)

// exportCheckImages is how many eval images the exported model must predict
// as the checkpoint does.
const exportCheckImages = 100

func runExport(args []string) error {
	fs := newFlagSet("export", "", "Export a checkpoint written by `digits train` as a static ONNX inference model\n"+
		"(chapter 9, 动转静 / 部署): input \"images\" float32 [batch, 784] ([batch, 1, 28, 28] for the CNN),\n"+
		"outputs \"scores\" [batch, 10] and \"digits\" [batch] int32. The file is then loaded back and must\n"+
		"predict the same digits as the checkpoint on the first 100 eval images.\n"+
		"Needs a build with -tags onnx and $"+mnist.ONNXLibraryEnv+" (make setup provides both).")
	var checkpoint, out, dataDir, backendName string
	var batch int
	fs.StringVar(&checkpoint, "checkpoint", "", "checkpoint file to export (required)")
	fs.StringVar(&out, "o", "model.onnx", "ONNX file to write")
	fs.IntVar(&batch, "batch", 1, "fixed batch size of the exported model (images per call)")
	dataDirFlag(fs, &dataDir)
	backendFlag(fs, &backendName)
	if err := parse(fs, args); err != nil {
		return err
	}
	if checkpoint == "" {
		return usageError{fmt.Errorf("-checkpoint is required")}
	}
	if err := mnist.CheckExportBatch(batch); err != nil {
		return usageError{fmt.Errorf("-batch: %w", err)}
	}
	if dataDir == "" {
		return flagError(fs, "data", "must name a directory")
	}
	if err := checkOutput("o", out, "model.onnx"); err != nil {
		return err
	}
	if !mnist.ONNXSupported {
		return mnist.ErrNoONNX
	}
	ds, err := loadData(dataDir, mnist.Eval)
	if err != nil {
		return err
	}
	model, release, err := loadCheckpoint(backendName, checkpoint)
	if err != nil {
		return err
	}
	defer release()
	if err := model.ExportONNX(out, batch); err != nil {
		return err
	}
	exported, err := mnist.LoadONNX(out)
	if err != nil {
		return err
	}
	defer exported.Close()

	var images [][]uint8
	for i := range min(exportCheckImages, ds.Len()) {
		images = append(images, ds.Image(i))
	}
	want, err := model.Predict(images...)
	if err != nil {
		return err
	}
	got, err := exported.Predict(images...)
	if err != nil {
		return err
	}
	for i := range want {
		if got[i].Digit != want[i].Digit {
			return fmt.Errorf("%s predicts %d for eval image %d, the checkpoint %s predicts %d", out, got[i].Digit, i, checkpoint, want[i].Digit)
		}
	}
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	fmt.Printf("exported %s (%d KB): predictions match the checkpoint on %d eval images\n", out, (st.Size()+1023)/1024, len(images))
	return nil
}
