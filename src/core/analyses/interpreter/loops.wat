;; The linear interpreter's hot loops: stream 0 of a plain CNN (convForward, mask2x2 with the
;; pooled values, reluMask: forward.ts), the switch mask of a 2×2 max-pool gate (gates.ts), and
;; the hand-written backward pass's input gradient of a conv whose output gradient is a max-pool
;; gate's pooled dy, scattered from the entries the gate lets through (vjp.ts).
;; Built into loopsBinary.ts (base64, with this file's SHA-256) by build-wasm.sh beside it
;; (wat2wasm from wabt 1.0.32; SIMD and bulk memory are on by default). Run it after an edit:
;; a unit test fails while the recorded SHA-256 is not this file's.
;;
;; The two scatters, scatterC and scatter1, compute, for each row r, each cell k (a conv output cell whose entries are
;; start[k] .. start[k+1]−1) and each entry q of it (pooled index src[q], share[q], output
;; channel chan[q]):
;;   v = dyp[r, src[q]] · share[q]
;;   acc[r, window of cell k, :] += v · W[:, :, :, chan[q]]   (the conv's adjoint for one output)
;;   bias[r] += v · cb[chan[q]]                                (when cb ≠ 0)
;; acc (the padded input gradient, [b, accSize]) is zeroed first. All pointer arguments are byte
;; offsets into the exported memory (i32 index arrays, f32 data, f64 bias); cb = 0: no bias.
(module
  (memory (export "mem") 1)

  ;; Several input channels, a multiple of 4, no dilation along the width. For each kernel row i
  ;; the taps' channels are one contiguous run of rowLen = kw·ci floats, both in acc (at
  ;; origin[k] + rowOffs[i], in floats) and in wk ([co][kh][rowLen]). A cell's update of that run
  ;; is a small product, Σ_q v[r, q]·wk[chan[q], i, :], done in registers in blocks of two rows ×
  ;; 16 floats (eight f32x4 sums): each weight vector loaded once serves both rows, and acc is
  ;; read and written once per cell instead of once per entry. First v[r, q] = dyp[r, src[q]] ·
  ;; share[q] for all rows into vs ([b][entries], scratch) with the bias sums, and each entry's
  ;; weights offset into wo (scratch).
  (func (export "scatterC")
    (param $dyp i32) (param $b i32) (param $rowSize i32)
    (param $cells i32) (param $start i32) (param $origin i32) (param $src i32) (param $share i32) (param $chan i32)
    (param $wk i32) (param $kh i32) (param $rowLen i32) (param $rowOffs i32)
    (param $cb i32) (param $bias i32) (param $acc i32) (param $accSize i32)
    (param $vs i32) (param $wo i32)
    (local $r i32) (local $k i32) (local $q i32) (local $qs i32) (local $qe i32) (local $i i32) (local $c i32)
    (local $v f32) (local $s f64) (local $n i32) (local $dypR i32) (local $vsR i32) (local $vsR1 i32)
    (local $p i32) (local $p1 i32) (local $kp i32) (local $rowBytes i32) (local $perOut i32) (local $end16 i32)
    (local $accB i32) (local $two i32) (local $iw i32) (local $base i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128) (local $x v128) (local $y v128)
    (local.set $n (i32.load (i32.add (local.get $start) (i32.shl (local.get $cells) (i32.const 2)))))
    (local.set $rowBytes (i32.shl (local.get $rowLen) (i32.const 2)))
    (local.set $perOut (i32.mul (local.get $kh) (local.get $rowBytes)))
    (local.set $accB (i32.shl (local.get $accSize) (i32.const 2)))
    ;; each entry's weights: wk + chan·perOut
    (block $wdone
      (loop $wloop
        (br_if $wdone (i32.ge_u (local.get $q) (local.get $n)))
        (i32.store (i32.add (local.get $wo) (i32.shl (local.get $q) (i32.const 2)))
          (i32.add (local.get $wk) (i32.mul (i32.load (i32.add (local.get $chan) (i32.shl (local.get $q) (i32.const 2)))) (local.get $perOut))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $wloop)))
    ;; v for every row and entry, and the bias sums
    (block $vdone
      (loop $vloop
        (br_if $vdone (i32.ge_u (local.get $r) (local.get $b)))
        (local.set $dypR (i32.add (local.get $dyp) (i32.shl (i32.mul (local.get $r) (local.get $rowSize)) (i32.const 2))))
        (local.set $vsR (i32.add (local.get $vs) (i32.shl (i32.mul (local.get $r) (local.get $n)) (i32.const 2))))
        (local.set $s (f64.const 0))
        (local.set $q (i32.const 0))
        (block $qdone
          (loop $qloop
            (br_if $qdone (i32.ge_u (local.get $q) (local.get $n)))
            (local.set $v
              (f32.mul
                (f32.load (i32.add (local.get $dypR)
                  (i32.shl (i32.load (i32.add (local.get $src) (i32.shl (local.get $q) (i32.const 2)))) (i32.const 2))))
                (f32.load (i32.add (local.get $share) (i32.shl (local.get $q) (i32.const 2))))))
            (f32.store (i32.add (local.get $vsR) (i32.shl (local.get $q) (i32.const 2))) (local.get $v))
            (if (local.get $cb)
              (then
                (local.set $s (f64.add (local.get $s)
                  (f64.mul (f64.promote_f32 (local.get $v))
                    (f64.promote_f32 (f32.load (i32.add (local.get $cb)
                      (i32.shl (i32.load (i32.add (local.get $chan) (i32.shl (local.get $q) (i32.const 2)))) (i32.const 2))))))))))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $qloop)))
        (if (local.get $cb)
          (then
            (f64.store (i32.add (local.get $bias) (i32.shl (local.get $r) (i32.const 3)))
              (f64.add (f64.load (i32.add (local.get $bias) (i32.shl (local.get $r) (i32.const 3)))) (local.get $s)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $vloop)))
    (memory.fill (local.get $acc) (i32.const 0) (i32.mul (local.get $b) (local.get $accB)))
    (local.set $end16 (i32.sub (local.get $rowBytes) (i32.const 48)))
    ;; rows two at a time (the last alone when b is odd: two = 0 then, and row r + 1 is not touched)
    (local.set $r (i32.const 0))
    (block $rdone
      (loop $rloop
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $b)))
        (local.set $two (i32.lt_u (i32.add (local.get $r) (i32.const 1)) (local.get $b)))
        (local.set $vsR (i32.add (local.get $vs) (i32.shl (i32.mul (local.get $r) (local.get $n)) (i32.const 2))))
        ;; row r + 1's v, or row r's again when there is none (its sums are then not stored)
        (local.set $vsR1 (select (i32.add (local.get $vsR) (i32.shl (local.get $n) (i32.const 2))) (local.get $vsR) (local.get $two)))
        (local.set $k (i32.const 0))
        (block $kdone
          (loop $kloop
            (br_if $kdone (i32.ge_u (local.get $k) (local.get $cells)))
            (local.set $qs (i32.load (i32.add (local.get $start) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $qe (i32.load (i32.add (local.get $start) (i32.shl (i32.add (local.get $k) (i32.const 1)) (i32.const 2)))))
            (local.set $base (i32.add (i32.add (local.get $acc) (i32.mul (local.get $r) (local.get $accB)))
              (i32.shl (i32.load (i32.add (local.get $origin) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 2))))
            (local.set $i (i32.const 0))
            (block $idone
              (loop $iloop
                (br_if $idone (i32.ge_u (local.get $i) (local.get $kh)))
                (local.set $p (i32.add (local.get $base)
                  (i32.shl (i32.load (i32.add (local.get $rowOffs) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2))))
                (local.set $iw (i32.mul (local.get $i) (local.get $rowBytes)))
                (local.set $c (i32.const 0))

                (block $c16done
                  (loop $c16loop
                    (br_if $c16done (i32.ge_s (local.get $c) (local.get $end16)))
                    (local.set $p1 (i32.add (i32.add (local.get $p) (local.get $c)) (local.get $accB)))
                    (local.set $a0 (v128.load offset=0 (i32.add (local.get $p) (local.get $c))))
                    (local.set $a1 (v128.load offset=16 (i32.add (local.get $p) (local.get $c))))
                    (local.set $a2 (v128.load offset=32 (i32.add (local.get $p) (local.get $c))))
                    (local.set $a3 (v128.load offset=48 (i32.add (local.get $p) (local.get $c))))
                    (local.set $b0 (select (v128.load offset=0 (local.get $p1)) (v128.const i32x4 0 0 0 0) (local.get $two)))
                    (local.set $b1 (select (v128.load offset=16 (local.get $p1)) (v128.const i32x4 0 0 0 0) (local.get $two)))
                    (local.set $b2 (select (v128.load offset=32 (local.get $p1)) (v128.const i32x4 0 0 0 0) (local.get $two)))
                    (local.set $b3 (select (v128.load offset=48 (local.get $p1)) (v128.const i32x4 0 0 0 0) (local.get $two)))
                    (local.set $q (local.get $qs))
                    (block $c16qdone
                      (loop $c16qloop
                        (br_if $c16qdone (i32.ge_u (local.get $q) (local.get $qe)))
                        (local.set $kp (i32.add (i32.add (i32.load (i32.add (local.get $wo) (i32.shl (local.get $q) (i32.const 2)))) (local.get $iw)) (local.get $c)))
                        (local.set $x (v128.load32_splat (i32.add (local.get $vsR) (i32.shl (local.get $q) (i32.const 2)))))
                        (local.set $y (v128.load32_splat (i32.add (local.get $vsR1) (i32.shl (local.get $q) (i32.const 2)))))
                        (local.set $w0 (v128.load offset=0 (local.get $kp)))
                        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x) (local.get $w0))))
                        (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $y) (local.get $w0))))
                        (local.set $w1 (v128.load offset=16 (local.get $kp)))
                        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $x) (local.get $w1))))
                        (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $y) (local.get $w1))))
                        (local.set $w2 (v128.load offset=32 (local.get $kp)))
                        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $x) (local.get $w2))))
                        (local.set $b2 (f32x4.add (local.get $b2) (f32x4.mul (local.get $y) (local.get $w2))))
                        (local.set $w3 (v128.load offset=48 (local.get $kp)))
                        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $x) (local.get $w3))))
                        (local.set $b3 (f32x4.add (local.get $b3) (f32x4.mul (local.get $y) (local.get $w3))))
                        (local.set $q (i32.add (local.get $q) (i32.const 1)))
                        (br $c16qloop)))
                    (v128.store offset=0 (i32.add (local.get $p) (local.get $c)) (local.get $a0))
                    (v128.store offset=16 (i32.add (local.get $p) (local.get $c)) (local.get $a1))
                    (v128.store offset=32 (i32.add (local.get $p) (local.get $c)) (local.get $a2))
                    (v128.store offset=48 (i32.add (local.get $p) (local.get $c)) (local.get $a3))
                    (if (local.get $two)
                      (then
                        (v128.store offset=0 (local.get $p1) (local.get $b0))
                        (v128.store offset=16 (local.get $p1) (local.get $b1))
                        (v128.store offset=32 (local.get $p1) (local.get $b2))
                        (v128.store offset=48 (local.get $p1) (local.get $b3))
                      ))
                    (local.set $c (i32.add (local.get $c) (i32.const 64)))
                    (br $c16loop)))
                (block $c4done
                  (loop $c4loop
                    (br_if $c4done (i32.ge_u (local.get $c) (local.get $rowBytes)))
                    (local.set $p1 (i32.add (i32.add (local.get $p) (local.get $c)) (local.get $accB)))
                    (local.set $a0 (v128.load offset=0 (i32.add (local.get $p) (local.get $c))))
                    (local.set $b0 (select (v128.load offset=0 (local.get $p1)) (v128.const i32x4 0 0 0 0) (local.get $two)))
                    (local.set $q (local.get $qs))
                    (block $c4qdone
                      (loop $c4qloop
                        (br_if $c4qdone (i32.ge_u (local.get $q) (local.get $qe)))
                        (local.set $kp (i32.add (i32.add (i32.load (i32.add (local.get $wo) (i32.shl (local.get $q) (i32.const 2)))) (local.get $iw)) (local.get $c)))
                        (local.set $x (v128.load32_splat (i32.add (local.get $vsR) (i32.shl (local.get $q) (i32.const 2)))))
                        (local.set $y (v128.load32_splat (i32.add (local.get $vsR1) (i32.shl (local.get $q) (i32.const 2)))))
                        (local.set $w0 (v128.load offset=0 (local.get $kp)))
                        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x) (local.get $w0))))
                        (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $y) (local.get $w0))))
                        (local.set $q (i32.add (local.get $q) (i32.const 1)))
                        (br $c4qloop)))
                    (v128.store offset=0 (i32.add (local.get $p) (local.get $c)) (local.get $a0))
                    (if (local.get $two)
                      (then
                        (v128.store offset=0 (local.get $p1) (local.get $b0))
                      ))
                    (local.set $c (i32.add (local.get $c) (i32.const 16)))
                    (br $c4loop)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $iloop)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $kloop)))
        (local.set $r (i32.add (local.get $r) (i32.const 2)))
        (br $rloop))))

  ;; One input channel, a kernel of at most 4×4, no dilation along the width: kt is [co][4][4],
  ;; kernel row i in lanes 0 .. kw−1 of vector i, zero-padded. Per cell, the entries'
  ;; contributions are summed in four f32x4 registers (one per kernel row) and the cell's window
  ;; in acc is updated once, one unaligned f32x4 per kernel row at origin[k] + i·rowStride
  ;; (floats): the channels of one cell would otherwise update the same taps through memory one
  ;; after the other. The padding lanes add 0 past the window; acc needs 4 floats of slack.
  (func (export "scatter1")
    (param $dyp i32) (param $b i32) (param $rowSize i32)
    (param $cells i32) (param $start i32) (param $origin i32) (param $src i32) (param $share i32) (param $chan i32)
    (param $kt i32) (param $kh i32) (param $rowStride i32)
    (param $cb i32) (param $bias i32) (param $acc i32) (param $accSize i32)
    (local $r i32) (local $k i32) (local $q i32) (local $qend i32)
    (local $v f32) (local $vv v128) (local $accR i32) (local $dypR i32) (local $at i32)
    (local $kp i32) (local $s f64) (local $o i32) (local $strideB i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (memory.fill (local.get $acc) (i32.const 0)
      (i32.shl (i32.mul (local.get $b) (local.get $accSize)) (i32.const 2)))
    (local.set $strideB (i32.shl (local.get $rowStride) (i32.const 2)))
    (block $rdone
      (loop $rloop
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $b)))
        (local.set $accR (i32.add (local.get $acc) (i32.shl (i32.mul (local.get $r) (local.get $accSize)) (i32.const 2))))
        (local.set $dypR (i32.add (local.get $dyp) (i32.shl (i32.mul (local.get $r) (local.get $rowSize)) (i32.const 2))))
        (local.set $s (f64.const 0))
        (local.set $k (i32.const 0))
        (block $kdone
          (loop $kloop
            (br_if $kdone (i32.ge_u (local.get $k) (local.get $cells)))
            (local.set $q (i32.load (i32.add (local.get $start) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $qend (i32.load (i32.add (local.get $start) (i32.shl (i32.add (local.get $k) (i32.const 1)) (i32.const 2)))))
            (local.set $s0 (v128.const i32x4 0 0 0 0))
            (local.set $s1 (v128.const i32x4 0 0 0 0))
            (local.set $s2 (v128.const i32x4 0 0 0 0))
            (local.set $s3 (v128.const i32x4 0 0 0 0))
            (block $qdone
              (loop $qloop
                (br_if $qdone (i32.ge_u (local.get $q) (local.get $qend)))
                (local.set $v
                  (f32.mul
                    (f32.load (i32.add (local.get $dypR)
                      (i32.shl (i32.load (i32.add (local.get $src) (i32.shl (local.get $q) (i32.const 2)))) (i32.const 2))))
                    (f32.load (i32.add (local.get $share) (i32.shl (local.get $q) (i32.const 2))))))
                (local.set $o (i32.shl (i32.load (i32.add (local.get $chan) (i32.shl (local.get $q) (i32.const 2)))) (i32.const 2)))
                (if (local.get $cb)
                  (then
                    (local.set $s (f64.add (local.get $s)
                      (f64.mul (f64.promote_f32 (local.get $v)) (f64.promote_f32 (f32.load (i32.add (local.get $cb) (local.get $o)))))))))
                (local.set $vv (f32x4.splat (local.get $v)))
                (local.set $kp (i32.add (local.get $kt) (i32.shl (local.get $o) (i32.const 4))))
                (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $vv) (v128.load offset=0 (local.get $kp)))))
                (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $vv) (v128.load offset=16 (local.get $kp)))))
                (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $vv) (v128.load offset=32 (local.get $kp)))))
                (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $vv) (v128.load offset=48 (local.get $kp)))))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br $qloop)))
            ;; the cell's sums into its window, one kernel row at a time
            (local.set $at (i32.add (local.get $accR)
              (i32.shl (i32.load (i32.add (local.get $origin) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 2))))
            (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at)) (local.get $s0)))
            (if (i32.gt_u (local.get $kh) (i32.const 1))
              (then
                (local.set $at (i32.add (local.get $at) (local.get $strideB)))
                (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at)) (local.get $s1)))))
            (if (i32.gt_u (local.get $kh) (i32.const 2))
              (then
                (local.set $at (i32.add (local.get $at) (local.get $strideB)))
                (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at)) (local.get $s2)))))
            (if (i32.gt_u (local.get $kh) (i32.const 3))
              (then
                (local.set $at (i32.add (local.get $at) (local.get $strideB)))
                (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at)) (local.get $s3)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $kloop)))
        (if (local.get $cb)
          (then
            (f64.store (i32.add (local.get $bias) (i32.shl (local.get $r) (i32.const 3)))
              (f64.add (f64.load (i32.add (local.get $bias) (i32.shl (local.get $r) (i32.const 3)))) (local.get $s)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rloop))))

  ;; The switch mask of a 2×2 / stride 2 max-pool without pads over z [h, w, c] (h = 2·oh,
  ;; w = 2·ow), as gates.ts builds it: md [h, w, c] holds 1/n at the n cells of each window and
  ;; channel that reach the window's maximum (ties share), 0 elsewhere, and 0 for the whole window
  ;; when fold is set and the maximum is not > 0 (a ReLU folded in); and the nonzeros as entries
  ;; grouped by cell (cell, start, src, share, chan: see gates.ts MaskEntries; start[cells] is not
  ;; written). Branch-free: the
  ;; pattern of maxima is data, and mispredicted branches on it cost more than the arithmetic;
  ;; four channels per f32x4 where there are four left.
  ;; Returns cells; entries = start[cells] is written to the i32 at $count. When pooled ≠ 0 the
  ;; pool's output [oh, ow, c] (the window maxima, forward.ts) is written there too.
  (func (export "mask2x2")
    (param $z i32) (param $w i32) (param $c i32) (param $oh i32) (param $ow i32) (param $fold i32)
    (param $md i32) (param $cell i32) (param $start i32) (param $src i32) (param $share i32) (param $chan i32)
    (param $count i32) (param $pooled i32) (result i32)
    (local $r i32) (local $q i32) (local $ch i32) (local $k i32) (local $row i32) (local $a i32) (local $po i32)
    (local $v0 f32) (local $v1 f32) (local $v2 f32) (local $v3 f32) (local $m f32) (local $n i32) (local $sh f32)
    (local $e i32) (local $first i32) (local $cells i32) (local $off i32) (local $s f32)
    (local $cellIdx i32) (local $cb4 i32) (local $notFold v128)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $xm v128) (local $xn v128) (local $xs v128)
    (local $e0 v128) (local $e1 v128) (local $e2 v128) (local $e3 v128)
    (local.set $row (i32.shl (i32.mul (local.get $w) (local.get $c)) (i32.const 2)))
    (local.set $cb4 (i32.shl (local.get $c) (i32.const 2)))
    (local.set $notFold (select (v128.const i32x4 0 0 0 0) (v128.const i32x4 -1 -1 -1 -1) (local.get $fold)))
    (block $rdone
      (loop $rloop
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $oh)))
        (local.set $q (i32.const 0))
        (block $qdone
          (loop $qloop
            (br_if $qdone (i32.ge_u (local.get $q) (local.get $ow)))
            ;; byte offset of cell (2r, 2q), channel 0, in z and md; index of window (r, q) in the pool's output
            (local.set $a (i32.shl (i32.mul (i32.add (i32.mul (i32.shl (local.get $r) (i32.const 1)) (local.get $w)) (i32.shl (local.get $q) (i32.const 1))) (local.get $c)) (i32.const 2)))
            (local.set $po (i32.mul (i32.add (i32.mul (local.get $r) (local.get $ow)) (local.get $q)) (local.get $c)))
            ;; the mask, four channels at a time, then one at a time for the rest
            (local.set $ch (i32.const 0))
            (block $c4done
              (loop $c4loop
                (br_if $c4done (i32.gt_u (i32.add (local.get $ch) (i32.const 4)) (local.get $c)))
                (local.set $off (i32.add (local.get $a) (i32.shl (local.get $ch) (i32.const 2))))
                (local.set $x0 (v128.load (i32.add (local.get $z) (local.get $off))))
                (local.set $x1 (v128.load (i32.add (local.get $z) (i32.add (local.get $off) (local.get $cb4)))))
                (local.set $x2 (v128.load (i32.add (local.get $z) (i32.add (local.get $off) (local.get $row)))))
                (local.set $x3 (v128.load (i32.add (local.get $z) (i32.add (i32.add (local.get $off) (local.get $row)) (local.get $cb4)))))
                (local.set $xm (f32x4.max (f32x4.max (local.get $x0) (local.get $x1)) (f32x4.max (local.get $x2) (local.get $x3))))
                (if (local.get $pooled)
                  (then (v128.store (i32.add (local.get $pooled) (i32.shl (i32.add (local.get $po) (local.get $ch)) (i32.const 2))) (local.get $xm))))
                (local.set $e0 (f32x4.eq (local.get $x0) (local.get $xm)))
                (local.set $e1 (f32x4.eq (local.get $x1) (local.get $xm)))
                (local.set $e2 (f32x4.eq (local.get $x2) (local.get $xm)))
                (local.set $e3 (f32x4.eq (local.get $x3) (local.get $xm)))
                ;; each eq lane is −1 or 0: n = −Σ
                (local.set $xn (i32x4.neg (i32x4.add (i32x4.add (local.get $e0) (local.get $e1)) (i32x4.add (local.get $e2) (local.get $e3)))))
                (local.set $xs (v128.and
                  (f32x4.div (f32x4.splat (f32.const 1)) (f32x4.convert_i32x4_u (local.get $xn)))
                  (v128.and
                    (v128.not (i32x4.eq (local.get $xn) (v128.const i32x4 0 0 0 0)))
                    (v128.or (f32x4.gt (local.get $xm) (v128.const i32x4 0 0 0 0)) (local.get $notFold)))))
                (local.set $x0 (v128.and (local.get $xs) (local.get $e0)))
                (local.set $x1 (v128.and (local.get $xs) (local.get $e1)))
                (local.set $x2 (v128.and (local.get $xs) (local.get $e2)))
                (local.set $x3 (v128.and (local.get $xs) (local.get $e3)))
                (v128.store (i32.add (local.get $md) (local.get $off)) (local.get $x0))
                (v128.store (i32.add (local.get $md) (i32.add (local.get $off) (local.get $cb4))) (local.get $x1))
                (v128.store (i32.add (local.get $md) (i32.add (local.get $off) (local.get $row))) (local.get $x2))
                (v128.store (i32.add (local.get $md) (i32.add (i32.add (local.get $off) (local.get $row)) (local.get $cb4))) (local.get $x3))
                (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
                (br $c4loop)))
            (block $cdone
              (loop $cloop
                (br_if $cdone (i32.ge_u (local.get $ch) (local.get $c)))
                (local.set $off (i32.add (local.get $a) (i32.shl (local.get $ch) (i32.const 2))))
                (local.set $v0 (f32.load (i32.add (local.get $z) (local.get $off))))
                (local.set $v1 (f32.load (i32.add (local.get $z) (i32.add (local.get $off) (local.get $cb4)))))
                (local.set $v2 (f32.load (i32.add (local.get $z) (i32.add (local.get $off) (local.get $row)))))
                (local.set $v3 (f32.load (i32.add (local.get $z) (i32.add (i32.add (local.get $off) (local.get $row)) (local.get $cb4)))))
                ;; f32.max is NaN when any is: then no cell equals it and nothing passes
                (local.set $m (f32.max (f32.max (local.get $v0) (local.get $v1)) (f32.max (local.get $v2) (local.get $v3))))
                (if (local.get $pooled)
                  (then (f32.store (i32.add (local.get $pooled) (i32.shl (i32.add (local.get $po) (local.get $ch)) (i32.const 2))) (local.get $m))))
                (local.set $n (i32.add (i32.add (f32.eq (local.get $v0) (local.get $m)) (f32.eq (local.get $v1) (local.get $m)))
                                       (i32.add (f32.eq (local.get $v2) (local.get $m)) (f32.eq (local.get $v3) (local.get $m)))))
                (local.set $sh (select
                  (f32.div (f32.const 1) (f32.convert_i32_u (select (local.get $n) (i32.const 1) (local.get $n))))
                  (f32.const 0)
                  (i32.and (i32.ne (local.get $n) (i32.const 0))
                    (i32.or (i32.eqz (local.get $fold)) (f32.gt (local.get $m) (f32.const 0))))))
                (local.set $s (select (local.get $sh) (f32.const 0) (f32.eq (local.get $v0) (local.get $m))))
                (f32.store (i32.add (local.get $md) (local.get $off)) (local.get $s))
                (local.set $s (select (local.get $sh) (f32.const 0) (f32.eq (local.get $v1) (local.get $m))))
                (f32.store (i32.add (local.get $md) (i32.add (local.get $off) (local.get $cb4))) (local.get $s))
                (local.set $s (select (local.get $sh) (f32.const 0) (f32.eq (local.get $v2) (local.get $m))))
                (f32.store (i32.add (local.get $md) (i32.add (local.get $off) (local.get $row))) (local.get $s))
                (local.set $s (select (local.get $sh) (f32.const 0) (f32.eq (local.get $v3) (local.get $m))))
                (f32.store (i32.add (local.get $md) (i32.add (i32.add (local.get $off) (local.get $row)) (local.get $cb4))) (local.get $s))
                (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
                (br $cloop)))
            ;; the entries, cell by cell, channels in order: always written, kept when nonzero
            (local.set $k (i32.const 0))
            (block $kdone
              (loop $kloop
                (br_if $kdone (i32.ge_u (local.get $k) (i32.const 4)))
                ;; cell k of the window: (2r + k/2, 2q + k%2)
                (local.set $cellIdx (i32.add
                  (i32.mul (i32.add (i32.shl (local.get $r) (i32.const 1)) (i32.shr_u (local.get $k) (i32.const 1))) (local.get $w))
                  (i32.add (i32.shl (local.get $q) (i32.const 1)) (i32.and (local.get $k) (i32.const 1)))))
                (local.set $off (i32.add (local.get $md) (i32.shl (i32.mul (local.get $cellIdx) (local.get $c)) (i32.const 2))))
                (local.set $first (local.get $e))
                (local.set $ch (i32.const 0))
                (block $edone
                  (loop $eloop
                    (br_if $edone (i32.ge_u (local.get $ch) (local.get $c)))
                    (local.set $s (f32.load (local.get $off)))
                    (local.set $n (i32.shl (local.get $e) (i32.const 2)))
                    (i32.store (i32.add (local.get $src) (local.get $n)) (i32.add (local.get $po) (local.get $ch)))
                    (f32.store (i32.add (local.get $share) (local.get $n)) (local.get $s))
                    (i32.store (i32.add (local.get $chan) (local.get $n)) (local.get $ch))
                    (local.set $e (i32.add (local.get $e) (f32.ne (local.get $s) (f32.const 0))))
                    (local.set $off (i32.add (local.get $off) (i32.const 4)))
                    (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
                    (br $eloop)))
                (i32.store (i32.add (local.get $cell) (i32.shl (local.get $cells) (i32.const 2))) (local.get $cellIdx))
                (i32.store (i32.add (local.get $start) (i32.shl (local.get $cells) (i32.const 2))) (local.get $first))
                (local.set $cells (i32.add (local.get $cells) (i32.gt_u (local.get $e) (local.get $first))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $kloop)))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $qloop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rloop)))
    (i32.store (local.get $count) (local.get $e))
    (local.get $cells))

  ;; acc [b, hp, wp, c] → out [b, h, w, c], the block at (pt, pl): one memory.copy per image row.
  (func (export "crop")
    (param $acc i32) (param $out i32) (param $b i32) (param $hp i32) (param $wp i32) (param $c i32)
    (param $pt i32) (param $pl i32) (param $h i32) (param $w i32)
    (local $r i32) (local $y i32) (local $rowIn i32) (local $rowOut i32) (local $src i32)
    (local.set $rowIn (i32.shl (i32.mul (local.get $wp) (local.get $c)) (i32.const 2)))
    (local.set $rowOut (i32.shl (i32.mul (local.get $w) (local.get $c)) (i32.const 2)))
    (block $rdone
      (loop $rloop
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $b)))
        ;; row (pt, pl) of image r
        (local.set $src (i32.add (local.get $acc)
          (i32.add
            (i32.mul (i32.add (i32.mul (local.get $r) (local.get $hp)) (local.get $pt)) (local.get $rowIn))
            (i32.shl (i32.mul (local.get $pl) (local.get $c)) (i32.const 2)))))
        (local.set $y (i32.const 0))
        (block $ydone
          (loop $yloop
            (br_if $ydone (i32.ge_u (local.get $y) (local.get $h)))
            (memory.copy (local.get $out) (local.get $src) (local.get $rowOut))
            (local.set $out (i32.add (local.get $out) (local.get $rowOut)))
            (local.set $src (i32.add (local.get $src) (local.get $rowIn)))
            (local.set $y (i32.add (local.get $y) (i32.const 1)))
            (br $yloop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rloop))))

  ;; Stream 0's conv for one sample (forward.ts): out[y, x, :] = bias + Σ_{i, j, c} x[y·sh + i − pt,
  ;; x·sw + j − pl, c] · k[i, j, c, :] over the taps inside the input (zero padding), then max(·, 0)
  ;; when relu is set. x [h, w, ci], k [kh, kw, ci, co] (HWIO), out [oh, ow, co]. Output channels
  ;; sixteen at a time in four f32x4 sums, then four at a time, then one at a time; the sums start
  ;; at the bias and add the taps in (i, j, c) order.
  (func (export "convForward")
    (param $x i32) (param $h i32) (param $w i32) (param $ci i32)
    (param $k i32) (param $kh i32) (param $kw i32) (param $co i32) (param $bias i32)
    (param $out i32) (param $oh i32) (param $ow i32)
    (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32) (param $relu i32)
    (local $y i32) (local $xx i32) (local $o i32) (local $i i32) (local $j i32) (local $c i32)
    (local $iy i32) (local $ix i32) (local $xp i32) (local $kp i32) (local $op i32) (local $coB i32)
    (local $v v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $s f32)
    (local.set $coB (i32.shl (local.get $co) (i32.const 2)))
    (block $ydone
      (loop $yloop
        (br_if $ydone (i32.ge_u (local.get $y) (local.get $oh)))
        (local.set $xx (i32.const 0))
        (block $xdone
          (loop $xloop
            (br_if $xdone (i32.ge_u (local.get $xx) (local.get $ow)))
            (local.set $op (i32.add (local.get $out) (i32.mul (i32.add (i32.mul (local.get $y) (local.get $ow)) (local.get $xx)) (local.get $coB))))
            (local.set $o (i32.const 0))
            (block $o16done
              (loop $o16loop
                (br_if $o16done (i32.gt_u (i32.add (local.get $o) (i32.const 16)) (local.get $co)))
                (local.set $a0 (v128.load offset=0 (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
                (local.set $a1 (v128.load offset=16 (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
                (local.set $a2 (v128.load offset=32 (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
                (local.set $a3 (v128.load offset=48 (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
                (local.set $i (i32.const 0))
                (block $o16idone
                  (loop $o16iloop
                    (br_if $o16idone (i32.ge_u (local.get $i) (local.get $kh)))
                    (local.set $iy (i32.sub (i32.add (i32.mul (local.get $y) (local.get $sh)) (local.get $i)) (local.get $pt)))
                    (if (i32.lt_u (local.get $iy) (local.get $h))
                      (then
                        (local.set $j (i32.const 0))
                        (block $o16jdone
                          (loop $o16jloop
                            (br_if $o16jdone (i32.ge_u (local.get $j) (local.get $kw)))
                            (local.set $ix (i32.sub (i32.add (i32.mul (local.get $xx) (local.get $sw)) (local.get $j)) (local.get $pl)))
                            (if (i32.lt_u (local.get $ix) (local.get $w))
                              (then
                                (local.set $xp (i32.add (local.get $x) (i32.shl (i32.mul (i32.add (i32.mul (local.get $iy) (local.get $w)) (local.get $ix)) (local.get $ci)) (i32.const 2))))
                                (local.set $kp (i32.add (local.get $k)
                                  (i32.shl (i32.add (i32.mul (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j)) (local.get $ci)) (local.get $co)) (local.get $o)) (i32.const 2))))
                                (local.set $c (i32.const 0))
                                (block $o16cdone
                                  (loop $o16cloop
                                    (br_if $o16cdone (i32.ge_u (local.get $c) (local.get $ci)))
                                    (local.set $v (v128.load32_splat (local.get $xp)))
                                    (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $v) (v128.load offset=0 (local.get $kp)))))
                                    (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $v) (v128.load offset=16 (local.get $kp)))))
                                    (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $v) (v128.load offset=32 (local.get $kp)))))
                                    (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $v) (v128.load offset=48 (local.get $kp)))))
                                    (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
                                    (local.set $kp (i32.add (local.get $kp) (local.get $coB)))
                                    (local.set $c (i32.add (local.get $c) (i32.const 1)))
                                    (br $o16cloop)))))
                            (local.set $j (i32.add (local.get $j) (i32.const 1)))
                            (br $o16jloop)))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $o16iloop)))
                (if (local.get $relu) (then (local.set $a0 (f32x4.max (local.get $a0) (v128.const i32x4 0 0 0 0)))))
                (v128.store offset=0 (i32.add (local.get $op) (i32.shl (local.get $o) (i32.const 2))) (local.get $a0))
                (if (local.get $relu) (then (local.set $a1 (f32x4.max (local.get $a1) (v128.const i32x4 0 0 0 0)))))
                (v128.store offset=16 (i32.add (local.get $op) (i32.shl (local.get $o) (i32.const 2))) (local.get $a1))
                (if (local.get $relu) (then (local.set $a2 (f32x4.max (local.get $a2) (v128.const i32x4 0 0 0 0)))))
                (v128.store offset=32 (i32.add (local.get $op) (i32.shl (local.get $o) (i32.const 2))) (local.get $a2))
                (if (local.get $relu) (then (local.set $a3 (f32x4.max (local.get $a3) (v128.const i32x4 0 0 0 0)))))
                (v128.store offset=48 (i32.add (local.get $op) (i32.shl (local.get $o) (i32.const 2))) (local.get $a3))
                (local.set $o (i32.add (local.get $o) (i32.const 16)))
                (br $o16loop)))
            (block $o4done
              (loop $o4loop
                (br_if $o4done (i32.gt_u (i32.add (local.get $o) (i32.const 4)) (local.get $co)))
                (local.set $a0 (v128.load offset=0 (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
                (local.set $i (i32.const 0))
                (block $o4idone
                  (loop $o4iloop
                    (br_if $o4idone (i32.ge_u (local.get $i) (local.get $kh)))
                    (local.set $iy (i32.sub (i32.add (i32.mul (local.get $y) (local.get $sh)) (local.get $i)) (local.get $pt)))
                    (if (i32.lt_u (local.get $iy) (local.get $h))
                      (then
                        (local.set $j (i32.const 0))
                        (block $o4jdone
                          (loop $o4jloop
                            (br_if $o4jdone (i32.ge_u (local.get $j) (local.get $kw)))
                            (local.set $ix (i32.sub (i32.add (i32.mul (local.get $xx) (local.get $sw)) (local.get $j)) (local.get $pl)))
                            (if (i32.lt_u (local.get $ix) (local.get $w))
                              (then
                                (local.set $xp (i32.add (local.get $x) (i32.shl (i32.mul (i32.add (i32.mul (local.get $iy) (local.get $w)) (local.get $ix)) (local.get $ci)) (i32.const 2))))
                                (local.set $kp (i32.add (local.get $k)
                                  (i32.shl (i32.add (i32.mul (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j)) (local.get $ci)) (local.get $co)) (local.get $o)) (i32.const 2))))
                                (local.set $c (i32.const 0))
                                (block $o4cdone
                                  (loop $o4cloop
                                    (br_if $o4cdone (i32.ge_u (local.get $c) (local.get $ci)))
                                    (local.set $v (v128.load32_splat (local.get $xp)))
                                    (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $v) (v128.load offset=0 (local.get $kp)))))
                                    (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
                                    (local.set $kp (i32.add (local.get $kp) (local.get $coB)))
                                    (local.set $c (i32.add (local.get $c) (i32.const 1)))
                                    (br $o4cloop)))))
                            (local.set $j (i32.add (local.get $j) (i32.const 1)))
                            (br $o4jloop)))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $o4iloop)))
                (if (local.get $relu) (then (local.set $a0 (f32x4.max (local.get $a0) (v128.const i32x4 0 0 0 0)))))
                (v128.store offset=0 (i32.add (local.get $op) (i32.shl (local.get $o) (i32.const 2))) (local.get $a0))
                (local.set $o (i32.add (local.get $o) (i32.const 4)))
                (br $o4loop)))
            (block $o1done
              (loop $o1loop
                (br_if $o1done (i32.gt_u (i32.add (local.get $o) (i32.const 1)) (local.get $co)))
                (local.set $s (f32.load (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
                (local.set $i (i32.const 0))
                (block $o1idone
                  (loop $o1iloop
                    (br_if $o1idone (i32.ge_u (local.get $i) (local.get $kh)))
                    (local.set $iy (i32.sub (i32.add (i32.mul (local.get $y) (local.get $sh)) (local.get $i)) (local.get $pt)))
                    (if (i32.lt_u (local.get $iy) (local.get $h))
                      (then
                        (local.set $j (i32.const 0))
                        (block $o1jdone
                          (loop $o1jloop
                            (br_if $o1jdone (i32.ge_u (local.get $j) (local.get $kw)))
                            (local.set $ix (i32.sub (i32.add (i32.mul (local.get $xx) (local.get $sw)) (local.get $j)) (local.get $pl)))
                            (if (i32.lt_u (local.get $ix) (local.get $w))
                              (then
                                (local.set $xp (i32.add (local.get $x) (i32.shl (i32.mul (i32.add (i32.mul (local.get $iy) (local.get $w)) (local.get $ix)) (local.get $ci)) (i32.const 2))))
                                (local.set $kp (i32.add (local.get $k)
                                  (i32.shl (i32.add (i32.mul (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j)) (local.get $ci)) (local.get $co)) (local.get $o)) (i32.const 2))))
                                (local.set $c (i32.const 0))
                                (block $o1cdone
                                  (loop $o1cloop
                                    (br_if $o1cdone (i32.ge_u (local.get $c) (local.get $ci)))
                                    (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $xp)) (f32.load (local.get $kp)))))
                                    (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
                                    (local.set $kp (i32.add (local.get $kp) (local.get $coB)))
                                    (local.set $c (i32.add (local.get $c) (i32.const 1)))
                                    (br $o1cloop)))))
                            (local.set $j (i32.add (local.get $j) (i32.const 1)))
                            (br $o1jloop)))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $o1iloop)))
                (if (local.get $relu) (then (local.set $s (f32.max (local.get $s) (f32.const 0)))))
                (f32.store (i32.add (local.get $op) (i32.shl (local.get $o) (i32.const 2))) (local.get $s))
                (local.set $o (i32.add (local.get $o) (i32.const 1)))
                (br $o1loop)))
            (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
            (br $xloop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $yloop))))

  ;; A ReLU gate in stream 0 (forward.ts), n values in place: g = 1 where z > 0 else 0, z = max(z, 0).
  (func (export "reluMask") (param $z i32) (param $g i32) (param $n i32)
    (local $i i32) (local $v f32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (f32.load (local.get $z)))
        (f32.store (local.get $g) (select (f32.const 1) (f32.const 0) (f32.gt (local.get $v) (f32.const 0))))
        (f32.store (local.get $z) (f32.max (local.get $v) (f32.const 0)))
        (local.set $z (i32.add (local.get $z) (i32.const 4)))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))))
)
