<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
  <context>
    <name>BranchesController</name>
    <message>
      <source>This engine is not installed.</source>
      <translation>此引擎未安装。</translation>
    </message>
    <message>
      <source>seed %1</source>
      <translation>种子 %1</translation>
    </message>
    <message>
      <source>fork @%1</source>
      <translation>分叉 @%1</translation>
    </message>
    <message>
      <source>Rename branch</source>
      <translation>重命名分支</translation>
    </message>
    <message>
      <source>Name</source>
      <translation>名称</translation>
    </message>
  </context>
  <context>
    <name>BranchesPanel</name>
    <message>
      <source>Tick 2–4 branches to compare them.</source>
      <translation>勾选 2–4 个分支进行对比。</translation>
    </message>
    <message>
      <source>Duplicate with a new seed</source>
      <translation>用新种子复制</translation>
    </message>
    <message>
      <source>Fork here: redo differently from the current step</source>
      <translation>从此处分叉：从当前步骤重新演绎</translation>
    </message>
    <message>
      <source>Rename</source>
      <translation>重命名</translation>
    </message>
    <message>
      <source>Delete</source>
      <translation>删除</translation>
    </message>
    <message>
      <source>Compare</source>
      <translation>对比</translation>
    </message>
    <message>
      <source>New branch</source>
      <translation>新建分支</translation>
    </message>
    <message>
      <source>Create branch</source>
      <translation>创建分支</translation>
    </message>
    <message>
      <source>Engine</source>
      <translation>引擎</translation>
    </message>
    <message>
      <source>Seed</source>
      <translation>种子</translation>
    </message>
  </context>
  <context>
    <name>CompareView</name>
    <message>
      <source>Side by side</source>
      <translation>并排</translation>
    </message>
    <message>
      <source>Wipe (first two)</source>
      <translation>擦除对比（前两个）</translation>
    </message>
    <message>
      <source>Onion skin (first two)</source>
      <translation>洋葱皮（前两个）</translation>
    </message>
    <message>
      <source>Export comparison…</source>
      <translation>导出对比…</translation>
    </message>
    <message>
      <source>Back to viewer</source>
      <translation>返回查看器</translation>
    </message>
    <message>
      <source>Mode</source>
      <translation>模式</translation>
    </message>
  </context>
  <context>
    <name>Document</name>
    <message>
      <source>Seed 0</source>
      <translation>种子 0</translation>
    </message>
    <message>
      <source>Seed %1</source>
      <translation>种子 %1</translation>
    </message>
    <message>
      <source>%1 fork @%2</source>
      <translation>%1 分叉 @%2</translation>
    </message>
  </context>
  <context>
    <name>ExportController</name>
    <message>
      <source>Exporting…</source>
      <translation>正在导出…</translation>
    </message>
    <message>
      <source>Saved %1 (%2 frames, %3 s).</source>
      <translation>已保存 %1（%2 帧，%3 秒）。</translation>
    </message>
    <message>
      <source>Export cancelled. Nothing was written.</source>
      <translation>导出已取消，未写入任何文件。</translation>
    </message>
  </context>
  <context>
    <name>ExportDialog</name>
    <message>
      <source> s</source>
      <translation> 秒</translation>
    </message>
    <message>
      <source>Export process</source>
      <translation>导出过程</translation>
    </message>
    <message>
      <source>PNG sequence (folder)</source>
      <translation>PNG 序列（文件夹）</translation>
    </message>
    <message>
      <source>Browse…</source>
      <translation>浏览…</translation>
    </message>
    <message>
      <source>from step</source>
      <translation>从步骤</translation>
    </message>
    <message>
      <source>to step</source>
      <translation>到步骤</translation>
    </message>
    <message>
      <source>Full (every step)</source>
      <translation>完整（每一步）</translation>
    </message>
    <message>
      <source>%1 seconds</source>
      <translation>%1 秒</translation>
    </message>
    <message>
      <source>Original</source>
      <translation>原始尺寸</translation>
    </message>
    <message>
      <source>Show the finished artwork first</source>
      <translation>先展示完成的作品</translation>
    </message>
    <message>
      <source>Label frames "AI-simulated process"</source>
      <translation>在画面上标注“AI 模拟过程”</translation>
    </message>
    <message>
      <source>Export</source>
      <translation>导出</translation>
    </message>
    <message>
      <source>Cancel</source>
      <translation>取消</translation>
    </message>
    <message>
      <source>Close</source>
      <translation>关闭</translation>
    </message>
    <message>
      <source>Format</source>
      <translation>格式</translation>
    </message>
    <message>
      <source>Save to</source>
      <translation>保存到</translation>
    </message>
    <message>
      <source>Range</source>
      <translation>范围</translation>
    </message>
    <message>
      <source>Frame rate</source>
      <translation>帧率</translation>
    </message>
    <message>
      <source>Length</source>
      <translation>时长</translation>
    </message>
    <message>
      <source>Size</source>
      <translation>尺寸</translation>
    </message>
    <message>
      <source>Hold last frame</source>
      <translation>末帧停留</translation>
    </message>
    <message>
      <source>Choose a folder</source>
      <translation>选择文件夹</translation>
    </message>
    <message>
      <source>Export to</source>
      <translation>导出到</translation>
    </message>
  </context>
  <context>
    <name>MainWindow</name>
    <message>
      <source>Branches</source>
      <translation>分支</translation>
    </message>
    <message>
      <source>Main</source>
      <translation>主工具栏</translation>
    </message>
    <message>
      <source>Start</source>
      <translation>开始</translation>
    </message>
    <message>
      <source>Open…</source>
      <translation>打开…</translation>
    </message>
    <message>
      <source>Save</source>
      <translation>保存</translation>
    </message>
    <message>
      <source>Export…</source>
      <translation>导出…</translation>
    </message>
    <message>
      <source>Compare</source>
      <translation>对比</translation>
    </message>
    <message>
      <source>Fit</source>
      <translation>适应窗口</translation>
    </message>
    <message>
      <source>100 %</source>
      <translation>100 %</translation>
    </message>
    <message>
      <source>Save as…</source>
      <translation>另存为…</translation>
    </message>
  </context>
  <context>
    <name>StartPage</name>
    <message>
      <source>Undo Studio</source>
      <translation>Undo Studio</translation>
    </message>
    <message>
      <source>See how a finished artwork could have been painted, step by step.</source>
      <translation>一步一步地看看一幅完成的作品可能是怎样画出来的。</translation>
    </message>
    <message>
      <source>Open artwork…</source>
      <translation>打开作品…</translation>
    </message>
    <message>
      <source>Open project…</source>
      <translation>打开项目…</translation>
    </message>
    <message>
      <source>Back to the open artwork</source>
      <translation>返回已打开的作品</translation>
    </message>
    <message>
      <source>Drop a PNG, JPEG, WebP, TIFF, PSD or ORA file anywhere on this window</source>
      <translation>将 PNG、JPEG、WebP、TIFF、PSD 或 ORA 文件拖放到窗口任意位置</translation>
    </message>
    <message>
      <source>Sample artworks</source>
      <translation>示例作品</translation>
    </message>
    <message>
      <source>Recent projects</source>
      <translation>最近的项目</translation>
    </message>
    <message>
      <source>No recent projects yet.</source>
      <translation>还没有最近的项目。</translation>
    </message>
    <message>
      <source>Engines</source>
      <translation>引擎</translation>
    </message>
    <message>
      <source>Compute</source>
      <translation>计算设备</translation>
    </message>
    <message>
      <source>Device: checking…</source>
      <translation>设备：检测中…</translation>
    </message>
    <message>
      <source>Show models folder</source>
      <translation>打开模型文件夹</translation>
    </message>
    <message>
      <source>No sample artworks found.</source>
      <translation>未找到示例作品。</translation>
    </message>
    <message>
      <source>ready</source>
      <translation>就绪</translation>
    </message>
    <message>
      <source>not ready</source>
      <translation>未就绪</translation>
    </message>
    <message>
      <source>(details in the tooltip)</source>
      <translation>（详情见提示）</translation>
    </message>
    <message>
      <source>Models folder: %1</source>
      <translation>模型文件夹：%1</translation>
    </message>
  </context>
  <context>
    <name>StatusBar</name>
    <message>
      <source>Cancel running work</source>
      <translation>取消正在运行的任务</translation>
    </message>
    <message>
      <source>Queue: %1</source>
      <translation>队列：%1</translation>
    </message>
    <message>
      <source>Cache: %1 / %2 MB</source>
      <translation>缓存：%1 / %2 MB</translation>
    </message>
    <message>
      <source>Saving project…</source>
      <translation>正在保存项目…</translation>
    </message>
    <message>
      <source>Frames are being written to the project file.</source>
      <translation>正在把帧写入项目文件。</translation>
    </message>
  </context>
  <context>
    <name>TimelineTrack</name>
    <message>
      <source>sketch</source>
      <translation>草图</translation>
    </message>
    <message>
      <source>ink</source>
      <translation>线稿</translation>
    </message>
    <message>
      <source>flats</source>
      <translation>平涂</translation>
    </message>
    <message>
      <source>shading</source>
      <translation>阴影</translation>
    </message>
    <message>
      <source>details</source>
      <translation>细节</translation>
    </message>
  </context>
  <context>
    <name>TimelineView</name>
    <message>
      <source>Blank canvas (Home)</source>
      <translation>空白画布（Home）</translation>
    </message>
    <message>
      <source>Previous keyframe (Shift+Left)</source>
      <translation>上一个关键帧（Shift+Left）</translation>
    </message>
    <message>
      <source>Step back (Left)</source>
      <translation>后退一步（Left）</translation>
    </message>
    <message>
      <source>Play / pause (Space)</source>
      <translation>播放 / 暂停（空格）</translation>
    </message>
    <message>
      <source>Step forward (Right)</source>
      <translation>前进一步（Right）</translation>
    </message>
    <message>
      <source>Next keyframe (Shift+Right)</source>
      <translation>下一个关键帧（Shift+Right）</translation>
    </message>
    <message>
      <source>Finished artwork (End)</source>
      <translation>完成的作品（End）</translation>
    </message>
    <message>
      <source>Playback speed</source>
      <translation>播放速度</translation>
    </message>
    <message>
      <source>Loop</source>
      <translation>循环</translation>
    </message>
    <message>
      <source>Speed</source>
      <translation>速度</translation>
    </message>
    <message>
      <source>exact</source>
      <translation>精确</translation>
    </message>
    <message>
      <source>interpolated</source>
      <translation>插值</translation>
    </message>
    <message>
      <source>preview</source>
      <translation>预览</translation>
    </message>
    <message>
      <source>waiting…</source>
      <translation>等待中…</translation>
    </message>
    <message>
      <source>Step %1 · %2 % painted</source>
      <translation>第 %1 步 · 已绘制 %2 %</translation>
    </message>
  </context>
  <context>
    <name>ViewerController</name>
    <message>
      <source>This branch could not be generated:</source>
      <translation>无法生成此分支：</translation>
    </message>
    <message>
      <source>Reconstructing the painting process…</source>
      <translation>正在重建绘画过程…</translation>
    </message>
  </context>
  <context>
    <name>WindowController</name>
    <message>
      <source>Language (applies after a restart)</source>
      <translation>语言（重启后生效）</translation>
    </message>
    <message>
      <source>Device: %1</source>
      <translation>设备：%1</translation>
    </message>
    <message>
      <source>Open artwork or project</source>
      <translation>打开作品或项目</translation>
    </message>
    <message>
      <source>Open project</source>
      <translation>打开项目</translation>
    </message>
    <message>
      <source>Save project</source>
      <translation>保存项目</translation>
    </message>
    <message>
      <source>Create a second branch to compare (Duplicate with a new seed).</source>
      <translation>请先创建第二个分支再对比（用新种子复制）。</translation>
    </message>
    <message>
      <source>Export comparison</source>
      <translation>导出对比</translation>
    </message>
    <message>
      <source>Export process</source>
      <translation>导出过程</translation>
    </message>
    <message>
      <source>Save the reconstruction before closing?</source>
      <translation>关闭前保存重建结果吗？</translation>
    </message>
    <message>
      <source>Generated frames and branches are kept in a project file.</source>
      <translation>生成的帧和分支会保存在项目文件中。</translation>
    </message>
    <message>
      <source>Images and projects</source>
      <translation>图像和项目</translation>
    </message>
    <message>
      <source>%1 · %2 GB, %3 GB free</source>
      <translation>%1 · 共 %2 GB，可用 %3 GB</translation>
    </message>
    <message>
      <source>The language changes when Undo Studio is restarted.</source>
      <translation>重新启动 Undo Studio 后界面语言才会切换。</translation>
    </message>
  </context>
  <context>
    <name>Engine</name>
    <message>
      <source>Procedural (no weights)</source>
      <translation>程序化（无需模型）</translation>
    </message>
    <message>
      <source>Paints-UNDO</source>
      <translation>Paints-UNDO</translation>
    </message>
    <message>
      <source>Stage timing</source>
      <translation>阶段节奏</translation>
    </message>
    <message>
      <source>balanced</source>
      <translation>均衡</translation>
    </message>
    <message>
      <source>long-sketch</source>
      <translation>长草稿</translation>
    </message>
    <message>
      <source>quick-sketch</source>
      <translation>快速草稿</translation>
    </message>
    <message>
      <source>detailed-finish</source>
      <translation>精细收尾</translation>
    </message>
    <message>
      <source>How the undo steps are shared between sketch, ink, flats, shading and details.</source>
      <translation>撤销步骤在草稿、线稿、平涂、明暗和细节之间的分配方式。</translation>
    </message>
    <message>
      <source>Colouring order</source>
      <translation>上色顺序</translation>
    </message>
    <message>
      <source>auto</source>
      <translation>自动</translation>
    </message>
    <message>
      <source>background-first</source>
      <translation>先背景</translation>
    </message>
    <message>
      <source>subject-first</source>
      <translation>先主体</translation>
    </message>
    <message>
      <source>Fill the background or the subject first; auto lets the seed decide.</source>
      <translation>先填背景还是先填主体；自动时由种子决定。</translation>
    </message>
    <message>
      <source>Sketch density</source>
      <translation>草稿密度</translation>
    </message>
    <message>
      <source>How much pencil work: searching lines and construction shapes.</source>
      <translation>铅笔草稿的多少：试探线条和结构辅助形。</translation>
    </message>
    <message>
      <source>Prompt</source>
      <translation>提示词</translation>
    </message>
    <message>
      <source>Describes the artwork. Empty: generated by the tagger.</source>
      <translation>描述作品。留空时由标签器生成。</translation>
    </message>
    <message>
      <source>Generate prompt</source>
      <translation>生成提示词</translation>
    </message>
    <message>
      <source>Tag the artwork with WD14 when the prompt is empty.</source>
      <translation>提示词为空时用 WD14 为作品打标签。</translation>
    </message>
    <message>
      <source>Negative prompt</source>
      <translation>负面提示词</translation>
    </message>
    <message>
      <source>Sampler steps</source>
      <translation>采样步数</translation>
    </message>
    <message>
      <source>Guidance (CFG)</source>
      <translation>引导强度（CFG）</translation>
    </message>
    <message>
      <source>Keyframe steps</source>
      <translation>关键帧步骤</translation>
    </message>
    <message>
      <source>Undo steps rendered as keyframes (0 is the artwork, 999 the first stroke).</source>
      <translation>作为关键帧渲染的撤销步骤（0 为完成的作品，999 为第一笔）。</translation>
    </message>
    <message>
      <source>Working size (long side)</source>
      <translation>工作尺寸（长边）</translation>
    </message>
    <message>
      <source>Resolution the models run at; frames are resized to the artwork's size.</source>
      <translation>模型运行的分辨率；帧会缩放回作品尺寸。</translation>
    </message>
    <message>
      <source>Video seed</source>
      <translation>视频种子</translation>
    </message>
    <message>
      <source>Seed of the in-between frames; -1 uses the branch seed. Changing it keeps the keyframes.</source>
      <translation>中间帧的种子；-1 表示使用分支种子。修改它不会重新生成关键帧。</translation>
    </message>
    <message>
      <source>Video sampler steps</source>
      <translation>视频采样步数</translation>
    </message>
    <message>
      <source>Video guidance (CFG)</source>
      <translation>视频引导强度（CFG）</translation>
    </message>
    <message>
      <source>Model files are missing or unusable</source>
      <translation>模型文件缺失或无法使用</translation>
    </message>
    <message>
      <source>cat window</source>
      <translation>窗边的猫</translation>
    </message>
    <message>
      <source>lighthouse</source>
      <translation>灯塔</translation>
    </message>
    <message>
      <source>portrait</source>
      <translation>肖像</translation>
    </message>
    <message>
      <source>Finding line art</source>
      <translation>正在识别线稿</translation>
    </message>
    <message>
      <source>Finding colour regions</source>
      <translation>正在识别色块区域</translation>
    </message>
    <message>
      <source>Measuring regions</source>
      <translation>正在测量区域</translation>
    </message>
    <message>
      <source>Separating shading from details</source>
      <translation>正在分离阴影与细节</translation>
    </message>
    <message>
      <source>Analysis done</source>
      <translation>分析完成</translation>
    </message>
    <message>
      <source>Analysis reused</source>
      <translation>沿用已有的分析</translation>
    </message>
    <message>
      <source>Sketching</source>
      <translation>正在起稿</translation>
    </message>
    <message>
      <source>Planning the painting order</source>
      <translation>正在规划绘画顺序</translation>
    </message>
    <message>
      <source>Building layers</source>
      <translation>正在构建图层</translation>
    </message>
    <message>
      <source>Ready</source>
      <translation>就绪</translation>
    </message>
    <message>
      <source>Rendered step %1</source>
      <translation>已渲染第 %1 步</translation>
    </message>
    <message>
      <source>Tagging the artwork</source>
      <translation>正在为作品生成标签</translation>
    </message>
    <message>
      <source>Encoding the artwork and the prompts</source>
      <translation>正在编码作品和提示词</translation>
    </message>
    <message>
      <source>Encoding artwork and prompts</source>
      <translation>正在编码作品和提示词</translation>
    </message>
    <message>
      <source>Sampling step %1/%2</source>
      <translation>采样第 %1/%2 步</translation>
    </message>
    <message>
      <source>Denoising step %1/%2</source>
      <translation>去噪第 %1/%2 步</translation>
    </message>
    <message>
      <source>Decoding keyframes</source>
      <translation>正在解码关键帧</translation>
    </message>
    <message>
      <source>Keyframes done</source>
      <translation>关键帧完成</translation>
    </message>
    <message>
      <source>Multi-frame model loaded</source>
      <translation>多帧模型已加载</translation>
    </message>
    <message>
      <source>Encoding prompt</source>
      <translation>正在编码提示词</translation>
    </message>
    <message>
      <source>Encoding keyframes</source>
      <translation>正在编码关键帧</translation>
    </message>
    <message>
      <source>Decoding frames</source>
      <translation>正在解码帧</translation>
    </message>
    <message>
      <source>Segment done</source>
      <translation>片段完成</translation>
    </message>
    <message>
      <source>Download complete</source>
      <translation>下载完成</translation>
    </message>
  </context>
</TS>