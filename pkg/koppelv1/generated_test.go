package koppelv1_test

import (
	"context"
	"testing"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/koppel/koppel/pkg/koppelv1"
)

// TestGeneratedCodeIsCurrent compiles proto/koppel/v1 and compares each file's
// descriptor with the one embedded in the committed Go code, so a .proto
// edited without `make generate` fails the tests.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	compiler := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: []string{"../../proto"}}),
	}
	generated := map[string]protoreflect.FileDescriptor{
		"koppel/v1/order.proto":  koppelv1.File_koppel_v1_order_proto,
		"koppel/v1/events.proto": koppelv1.File_koppel_v1_events_proto,
	}
	for path, gen := range generated {
		files, err := compiler.Compile(context.Background(), path)
		if err != nil {
			t.Fatalf("compile %s: %v", path, err)
		}
		want := comparable(protodesc.ToFileDescriptorProto(files[0]))
		got := comparable(protodesc.ToFileDescriptorProto(gen))
		if !proto.Equal(want, got) {
			t.Errorf("%s: generated Go code is stale; run `make generate`", path)
		}
	}
}

// comparable drops what differs between compilers but not between schemas.
func comparable(fd *descriptorpb.FileDescriptorProto) *descriptorpb.FileDescriptorProto {
	fd = proto.Clone(fd).(*descriptorpb.FileDescriptorProto)
	fd.SourceCodeInfo = nil
	var clear func(msgs []*descriptorpb.DescriptorProto)
	clear = func(msgs []*descriptorpb.DescriptorProto) {
		for _, m := range msgs {
			for _, f := range m.Field {
				f.JsonName = nil
			}
			clear(m.NestedType)
		}
	}
	clear(fd.MessageType)
	return fd
}
