package mnist

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// graphCall2 runs Loss and PredictedDigits of task on constant outputs and
// labels.
func graphCall2(b compute.Backend, task Task, outputs, labels any) ([]*tensors.Tensor, error) {
	exec, err := graph.NewExec(b, func(o, l *graph.Node) []*graph.Node {
		return []*graph.Node{Loss(task, o, l), PredictedDigits(task, o)}
	})
	if err != nil {
		return nil, err
	}
	return exec.Call(outputs, labels)
}
