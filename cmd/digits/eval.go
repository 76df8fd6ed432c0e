package main

import (
	"fmt"

	"github.com/godigits/digits/mnist"
)

func runEval(args []string) error {
	fs := newFlagSet("eval", "", "Evaluate a checkpoint written by `digits train` on the valid or eval images:\n"+
		"mean loss, accuracy and the confusion matrix.")
	var checkpoint, mode, dataDir, backendName string
	var confusion bool
	fs.StringVar(&checkpoint, "checkpoint", "", "checkpoint file to evaluate (required)")
	fs.StringVar(&mode, "mode", string(mnist.Eval), "data set: train, valid or eval")
	fs.BoolVar(&confusion, "confusion", true, "print the confusion matrix")
	dataDirFlag(fs, &dataDir)
	backendFlag(fs, &backendName)
	if err := parse(fs, args); err != nil {
		return err
	}
	if checkpoint == "" {
		return usageError{fmt.Errorf("-checkpoint is required")}
	}
	if dataDir == "" {
		return flagError(fs, "data", "must name a directory")
	}
	m, err := mnist.ParseMode(mode)
	if err != nil {
		return usageError{err}
	}
	ds, err := loadData(dataDir, m)
	if err != nil {
		return err
	}
	model, release, err := loadCheckpoint(backendName, checkpoint)
	if err != nil {
		return err
	}
	defer release()
	fmt.Printf("%s: %s, trained %d epochs (%d steps)\n", checkpoint, model.Config.Model, model.Epoch, model.Step)
	ev, err := model.Evaluate(ds)
	if err != nil {
		return err
	}
	fmt.Println(ev)
	if confusion {
		fmt.Print(ev.ConfusionTable())
	}
	return nil
}

func runPredict(args []string) error {
	fs := newFlagSet("predict", "IMAGE...", "Flags may come before or after the images.\n\nPredict the digit in each PNG or JPEG image with a checkpoint. Images may be any\n"+
		"size, colour or grey, dark ink on light paper or the reverse: each is framed like an MNIST digit first.")
	var checkpoint, backendName string
	fs.StringVar(&checkpoint, "checkpoint", "", "checkpoint file (required)")
	backendFlag(fs, &backendName)
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if checkpoint == "" {
		return usageError{fmt.Errorf("-checkpoint is required")}
	}
	if len(paths) == 0 {
		return usageError{fmt.Errorf("no images given")}
	}
	var pixels [][]uint8
	for _, path := range paths {
		p, err := mnist.ReadImage(path)
		if err != nil {
			return err
		}
		pixels = append(pixels, p)
	}
	model, release, err := loadCheckpoint(backendName, checkpoint)
	if err != nil {
		return err
	}
	defer release()
	preds, err := model.Predict(pixels...)
	if err != nil {
		return err
	}
	for i, p := range preds {
		fmt.Printf("%s: %d  scores", paths[i], p.Digit)
		for d, s := range p.Scores {
			fmt.Printf(" %d:%.3f", d, s)
		}
		fmt.Println()
	}
	return nil
}
