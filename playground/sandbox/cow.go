package sandbox

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// Every sandbox starts as the same 1.9 MiB of demo data, and most visitors
// change a few pages of it, if any. So a sandbox is not a copy of the
// image: it is a file of the "engineroom" VFS below, which reads the pages
// nobody changed from the one image all sandboxes share and keeps a private
// copy only of each page the visitor writes. A class of 300 then holds
// one image and 300 small sets of changes instead of 300 images.
//
// The private pages are allocated with sqlite3_malloc, so they count in
// SQLite's memory statistics and its heap limit exactly as the bytes of an
// in-memory database do: memory pressure and eviction see them (lru.go).
// They are allocated chunkPages at a time: the C allocator under SQLite
// serves a 4 KiB request (plus SQLite's size prefix) from an 8 KiB slot,
// so pages allocated one by one would take twice the memory counted.
//
// Temporary files (TEMP tables, sorts too large for memory, statement
// journals) are private files of the VFS too: memory like the rest.
//
// Each file has one connection, which SQLite serialises, so a file's state
// needs no lock of its own; the table of open files has one.

// cowVFSName is the name sandboxes open their database under (?vfs=).
const cowVFSName = "engineroom"

// cowFile is the state of one open file.
type cowFile struct {
	name  string    // what the main database was opened as; "" for other files
	base  []byte    // the shared image; never written
	baseN int64     // bytes of base still part of the file (a truncate hides the rest)
	size  int64     // the file's length
	pages []uintptr // private copies of pages, by page number; 0 where there is none
	spare []uintptr // allocated pages not in use
	// chunks holds the allocations the pages come from.
	chunks []uintptr
	// held is the bytes of chunks, and for a main database those of its
	// connection's temporary files too: read by the Manager, which holds
	// the sandbox's lock but runs on another goroutine.
	held atomic.Int64
	// owner is the main database of a temporary file's connection.
	owner *cowFile
}

// chunkPages is how many private pages are allocated at once: 60 KiB,
// which the C allocator serves from one 64 KiB block.
const chunkPages = 15

// privateBytes is what the file holds beyond the shared image.
func (f *cowFile) privateBytes() int64 {
	if f == nil {
		return 0
	}
	return f.held.Load()
}

// count adds n bytes to what f holds, and to what its owner holds.
func (f *cowFile) count(n int64) {
	f.held.Add(n)
	if f.owner != nil {
		f.owner.held.Add(n)
	}
}

// alloc returns a private page, or 0 when SQLite's heap has no room.
func (f *cowFile) alloc(tls *libc.TLS) uintptr {
	if len(f.spare) == 0 {
		c := sqlite3.Xsqlite3_malloc64(tls, chunkPages*pageSize)
		if c == 0 {
			return 0
		}
		f.chunks = append(f.chunks, c)
		f.count(chunkPages * pageSize)
		for i := chunkPages - 1; i >= 0; i-- {
			f.spare = append(f.spare, c+uintptr(i*pageSize))
		}
	}
	p := f.spare[len(f.spare)-1]
	f.spare = f.spare[:len(f.spare)-1]
	return p
}

var cow struct {
	once sync.Once
	err  error
	io   uintptr // the sqlite3_io_methods of every file, in C memory

	mu      sync.Mutex
	pending map[string]*cowFile // main databases named but not opened yet
	// mains finds a connection's main database by the thread state SQLite
	// is called with, which the driver keeps one of per connection.
	mains map[*libc.TLS]*cowFile
	files map[uintptr]*cowFile // open files, by handle
	next  uintptr              // last handle given out
	names atomic.Uint64        // last file name given out
}

// cowHandle is the C side of an open file: SQLite's sqlite3_file, then
// the handle of its cowFile.
type cowHandle struct {
	base   sqlite3.Tsqlite3_file
	handle uintptr
}

// registerCow registers the VFS with SQLite, once.
func registerCow() error {
	cow.once.Do(func() {
		cow.pending = make(map[string]*cowFile)
		cow.mains = make(map[*libc.TLS]*cowFile)
		cow.files = make(map[uintptr]*cowFile)
		tls := libc.NewTLS() // lives as long as the registration: the process
		def := sqlite3.Xsqlite3_vfs_find(tls, 0)
		if def == 0 {
			cow.err = fmt.Errorf("sandbox: SQLite has no default VFS")
			return
		}
		name, err := libc.CString(cowVFSName)
		if err != nil {
			cow.err = err
			return
		}
		// SQLite walks these structures with pointer arithmetic, so they
		// live in C memory, like everything else it is given.
		pv := libc.Xcalloc(tls, 1, libc.Tsize_t(unsafe.Sizeof(sqlite3.Tsqlite3_vfs{})))
		cow.io = libc.Xcalloc(tls, 1, libc.Tsize_t(unsafe.Sizeof(sqlite3.Tsqlite3_io_methods{})))
		if pv == 0 || cow.io == 0 {
			cow.err = fmt.Errorf("sandbox: out of memory registering the %s VFS", cowVFSName)
			return
		}
		// Time, randomness, sleep and errors come from the default VFS;
		// files are ours.
		v := (*sqlite3.Tsqlite3_vfs)(cptr(pv))
		*v = *(*sqlite3.Tsqlite3_vfs)(cptr(def))
		v.FiVersion = min(v.FiVersion, 2)
		v.FszOsFile = int32(unsafe.Sizeof(cowHandle{}))
		v.FmxPathname = 512
		v.FpNext, v.FzName, v.FpAppData = 0, name, 0
		setFn(&v.FxOpen, cowOpen)
		setFn(&v.FxDelete, cowDelete)
		setFn(&v.FxAccess, cowAccess)
		setFn(&v.FxFullPathname, cowFullPathname)

		m := (*sqlite3.Tsqlite3_io_methods)(cptr(cow.io))
		m.FiVersion = 1
		setFn(&m.FxClose, cowClose)
		setFn(&m.FxRead, cowRead)
		setFn(&m.FxWrite, cowWrite)
		setFn(&m.FxTruncate, cowTruncate)
		setFn(&m.FxSync, cowSync)
		setFn(&m.FxFileSize, cowFileSize)
		setFn(&m.FxLock, cowLock)
		setFn(&m.FxUnlock, cowLock)
		setFn(&m.FxCheckReservedLock, cowCheckReservedLock)
		setFn(&m.FxFileControl, cowFileControl)
		setFn(&m.FxSectorSize, cowSectorSize)
		setFn(&m.FxDeviceCharacteristics, cowDeviceCharacteristics)

		if rc := sqlite3.Xsqlite3_vfs_register(tls, pv, 0); rc != sqlite3.SQLITE_OK {
			cow.err = fmt.Errorf("sandbox: registering the %s VFS: SQLite error %d", cowVFSName, rc)
		}
	})
	return cow.err
}

// cptr turns an address SQLite gives out, memory of the C heap that Go's
// collector neither moves nor frees, into a pointer. (The detour through
// &p keeps go vet's unsafeptr check, meant for addresses of Go memory,
// quiet.)
func cptr(p uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&p))
}

// setFn stores the Go function fn in a C function pointer field, as the
// transpiled SQLite calls it.
func setFn[F any](field *uintptr, fn F) {
	*(*F)(unsafe.Pointer(field)) = fn
}

// cowDSN names a new file that opens onto image, and returns the DSN that
// opens it and the file it will be. Call forgetCow with the file if the
// database may not have been opened.
func cowDSN(image []byte) (dsn string, f *cowFile, err error) {
	if err := registerCow(); err != nil {
		return "", nil, err
	}
	n := int64(len(image))
	f = &cowFile{name: fmt.Sprintf("/sandbox-%d", cow.names.Add(1)), base: image, baseN: n, size: n}
	cow.mu.Lock()
	cow.pending[f.name] = f
	cow.mu.Unlock()
	return "file:" + f.name + "?vfs=" + cowVFSName + "&_defensive=1", f, nil
}

// forgetCow drops f's name if its file was never opened.
func forgetCow(f *cowFile) {
	cow.mu.Lock()
	delete(cow.pending, f.name)
	cow.mu.Unlock()
}

func fileOf(pFile uintptr) *cowFile {
	h := (*cowHandle)(cptr(pFile)).handle
	cow.mu.Lock()
	f := cow.files[h]
	cow.mu.Unlock()
	return f
}

// cowOpen opens the main database onto the image it was named for. Any
// other file (the temporary database, a sort too large for memory, a
// statement journal) starts empty, lives as long as it is open, and
// counts in what its connection's main database holds. None touches the
// disk.
func cowOpen(tls *libc.TLS, pVfs, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	f := &cowFile{}
	cow.mu.Lock()
	if flags&sqlite3.SQLITE_OPEN_MAIN_DB != 0 {
		name := libc.GoString(zName)
		var ok bool
		if f, ok = cow.pending[name]; !ok {
			cow.mu.Unlock()
			return sqlite3.SQLITE_CANTOPEN
		}
		delete(cow.pending, name)
		cow.mains[tls] = f
	} else {
		f.owner = cow.mains[tls]
	}
	cow.next++
	h := cow.next
	cow.files[h] = f
	cow.mu.Unlock()

	*(*cowHandle)(cptr(pFile)) = cowHandle{handle: h}
	(*cowHandle)(cptr(pFile)).base.FpMethods = cow.io
	if pOutFlags != 0 {
		*(*int32)(cptr(pOutFlags)) = flags
	}
	return sqlite3.SQLITE_OK
}

// Nothing outlives its handle, so there is nothing to delete and no file
// exists before it is opened (no hot journal to roll back, in particular).
func cowDelete(tls *libc.TLS, pVfs, zName uintptr, syncDir int32) int32 {
	return sqlite3.SQLITE_OK
}

func cowAccess(tls *libc.TLS, pVfs, zName uintptr, flags int32, pResOut uintptr) int32 {
	*(*int32)(cptr(pResOut)) = 0
	return sqlite3.SQLITE_OK
}

func cowFullPathname(tls *libc.TLS, pVfs, zName uintptr, nOut int32, zOut uintptr) int32 {
	libc.Xstrncpy(tls, zOut, zName, uint64(nOut))
	return sqlite3.SQLITE_OK
}

func cowClose(tls *libc.TLS, pFile uintptr) int32 {
	h := (*cowHandle)(cptr(pFile)).handle
	cow.mu.Lock()
	f := cow.files[h]
	delete(cow.files, h)
	if f != nil && cow.mains[tls] == f {
		delete(cow.mains, tls)
	}
	cow.mu.Unlock()
	if f != nil {
		for _, c := range f.chunks {
			sqlite3.Xsqlite3_free(tls, c)
		}
		f.count(-int64(len(f.chunks)) * chunkPages * pageSize)
		f.pages, f.spare, f.chunks = nil, nil, nil
	}
	return sqlite3.SQLITE_OK
}

// page returns the private copy of page n as bytes, or nil.
func (f *cowFile) page(n int64) []byte {
	if n >= int64(len(f.pages)) || f.pages[n] == 0 {
		return nil
	}
	return (*libc.RawMem)(cptr(f.pages[n]))[:pageSize:pageSize]
}

// shared copies what the image holds at off into b, and zeros past it.
func (f *cowFile) shared(b []byte, off int64) {
	n := 0
	if off < f.baseN {
		n = copy(b, f.base[off:f.baseN])
	}
	clear(b[n:])
}

// free drops the private copy of page n; its memory is kept for the
// next.
func (f *cowFile) free(n int64) {
	f.spare = append(f.spare, f.pages[n])
	f.pages[n] = 0
}

// unchanged reports whether b is what the image holds at off.
func (f *cowFile) unchanged(b []byte, off int64) bool {
	return off+int64(len(b)) <= f.baseN && bytes.Equal(b, f.base[off:off+int64(len(b))])
}

func cowRead(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	f := fileOf(pFile)
	b := (*libc.RawMem)(cptr(zBuf))[:iAmt:iAmt]
	for off := iOfst; len(b) > 0; {
		n, at := off/pageSize, off%pageSize
		k := min(int64(len(b)), pageSize-at)
		if p := f.page(n); p != nil {
			copy(b[:k], p[at:])
		} else {
			f.shared(b[:k], off)
		}
		b, off = b[k:], off+k
	}
	if iOfst+int64(iAmt) > f.size {
		// SQLite expects the bytes past the end zeroed, as they are.
		return sqlite3.SQLITE_IOERR_SHORT_READ
	}
	return sqlite3.SQLITE_OK
}

func cowWrite(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	f := fileOf(pFile)
	b := (*libc.RawMem)(cptr(zBuf))[:iAmt:iAmt]
	for off := iOfst; len(b) > 0; {
		n, at := off/pageSize, off%pageSize
		k := min(int64(len(b)), pageSize-at)
		p := f.page(n)
		if k == pageSize && f.unchanged(b[:k], off) {
			// A whole page written back as the image has it (a backup
			// restoring a copy, say) stays shared, or becomes so again.
			if p != nil {
				f.free(n)
			}
			b, off = b[k:], off+k
			continue
		}
		if p == nil {
			mem := f.alloc(tls)
			if mem == 0 {
				return sqlite3.SQLITE_IOERR_NOMEM
			}
			if need := int(n) + 1; need > len(f.pages) {
				f.pages = append(f.pages, make([]uintptr, need-len(f.pages))...)
			}
			f.pages[n] = mem
			p = f.page(n)
			if at != 0 || k != pageSize {
				f.shared(p, n*pageSize)
			}
		}
		copy(p[at:], b[:k])
		b, off = b[k:], off+k
	}
	f.size = max(f.size, iOfst+int64(iAmt))
	return sqlite3.SQLITE_OK
}

func cowTruncate(tls *libc.TLS, pFile uintptr, size int64) int32 {
	f := fileOf(pFile)
	if size >= f.size {
		return sqlite3.SQLITE_OK
	}
	f.size = size
	f.baseN = min(f.baseN, size)
	keep := (size + pageSize - 1) / pageSize
	for n := keep; n < int64(len(f.pages)); n++ {
		if f.pages[n] != 0 {
			f.free(n)
		}
	}
	if p := f.page(size / pageSize); p != nil {
		clear(p[size%pageSize:])
	}
	return sqlite3.SQLITE_OK
}

func cowSync(tls *libc.TLS, pFile uintptr, flags int32) int32 { return sqlite3.SQLITE_OK }

func cowFileSize(tls *libc.TLS, pFile, pSize uintptr) int32 {
	*(*int64)(cptr(pSize)) = fileOf(pFile).size
	return sqlite3.SQLITE_OK
}

// One connection per file: locks always succeed and nobody else holds one.
func cowLock(tls *libc.TLS, pFile uintptr, lock int32) int32 { return sqlite3.SQLITE_OK }

func cowCheckReservedLock(tls *libc.TLS, pFile, pResOut uintptr) int32 {
	*(*int32)(cptr(pResOut)) = 0
	return sqlite3.SQLITE_OK
}

func cowFileControl(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32 {
	return sqlite3.SQLITE_NOTFOUND
}

func cowSectorSize(tls *libc.TLS, pFile uintptr) int32 { return pageSize }

// The same characteristics as SQLite's own in-memory files.
func cowDeviceCharacteristics(tls *libc.TLS, pFile uintptr) int32 {
	return sqlite3.SQLITE_IOCAP_ATOMIC | sqlite3.SQLITE_IOCAP_POWERSAFE_OVERWRITE |
		sqlite3.SQLITE_IOCAP_SAFE_APPEND | sqlite3.SQLITE_IOCAP_SEQUENTIAL
}
