package web

import (
	"fmt"
	"strings"

	"rsc.io/qr"

	"github.com/engineroom/engineroom/web/view"
)

// qrQuietZone is the light border around a QR code, in modules: the
// standard's four, which a phone's camera needs to find the code.
const qrQuietZone = 4

// qrCode encodes text as a QR code drawn in SVG units of one module: each
// run of dark modules in a row is one rectangle of a single path, placed
// inside the quiet zone. Level M survives a smudged projector screen and
// keeps a lesson's address at version 3 or 4, big modules from the back.
func qrCode(text string) (view.QR, error) {
	c, err := qr.Encode(text, qr.M)
	if err != nil {
		return view.QR{}, fmt.Errorf("web: encoding a QR code: %w", err)
	}
	var d strings.Builder
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; {
			if !c.Black(x, y) {
				x++
				continue
			}
			from := x
			for x < c.Size && c.Black(x, y) {
				x++
			}
			fmt.Fprintf(&d, "M%d %dh%dv1h-%dz", from+qrQuietZone, y+qrQuietZone, x-from, x-from)
		}
	}
	return view.QR{
		Text:    text,
		Modules: c.Size,
		Version: (c.Size - 17) / 4,
		Quiet:   qrQuietZone,
		Side:    c.Size + 2*qrQuietZone,
		Path:    d.String(),
	}, nil
}
